// The security page: once django-otp-webauthn's script has registered a passkey, reload so the
// list shows it (the server has stored and audited it by then).
document.addEventListener("otp_webauthn.register_complete", function () {
  window.location.reload();
});
