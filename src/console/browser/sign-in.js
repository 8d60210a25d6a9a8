// The sign-in progress page's last step (served as /console/assets/sign-in.js, loaded after the
// form; the page has no inline script): post the sealed ticket to /auth/session.
document.querySelector("form")?.submit();
