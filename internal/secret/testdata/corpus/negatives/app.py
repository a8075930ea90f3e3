import os
password = os.environ["DB_PASSWORD"]
secret_key = get_secret("django")
token = request.headers.get("Authorization")
API_KEY = settings.API_KEY
