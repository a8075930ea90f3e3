const config = {
  mapsKey: "AIzaKFytBNNLdhi6CLuYCRi8wekza8A0ABW79iw",
  region: 'eu',
};
