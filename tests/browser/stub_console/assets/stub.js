// The smallest console: signs in the way the real one does and reports each answer.
const out = {};
const config = await (await fetch("/console/config.json")).json();
out.auth = config.auth;
const users = (await (await fetch("/console/dev/users")).json()).users;
out.users = users.map((u) => `${u.username}:${u.role}`);
out.without = (await fetch(`${config.apiBase}/me`)).status;
const login = await (await fetch("/console/dev/login", {
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ username: users[0].username }),
})).json();
const me = await fetch(`${config.apiBase}/audit`, {
  headers: { Authorization: `Bearer ${login.id_token}` },
});
out.with = me.status;
document.getElementById("out").textContent = JSON.stringify(out);
document.getElementById("status").textContent = "done";
