// /auth/resume's script (served as /console/assets/resume.js; the page has no inline script): spend
// the refresh cookie, then go back to the page, or on to /login when the session is over.
// 409: another tab just rotated the token, and this browser's cookie jar has the new one.
{
  const data = document.querySelector("main")?.dataset ?? {};
  const next = data.next ?? "/console";
  const login = data.login ?? "/login";
  fetch("/auth/refresh", { method: "POST" }).then(
    (res) => location.replace(res.ok || res.status === 409 ? next : login),
    () => location.replace(login),
  );
}
