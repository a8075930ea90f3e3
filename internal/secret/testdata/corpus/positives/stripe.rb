Stripe.api_key = 'sk_live_H0pPzWN6h6nTdaUfiSDFtwxtT4zdCHxO'
