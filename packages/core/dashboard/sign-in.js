// The 401 page of a job's dashboard. An address printed by `berth ui` carries a one-time code in
// its fragment (#code=…), which the browser never sends: exchange it for this job's session
// cookie, drop it from the address bar and history, and load the dashboard.
const message = document.getElementById("message");
const code = new URLSearchParams(location.hash.slice(1)).get("code");
history.replaceState(null, "", "/");

async function exchange() {
  const response = await fetch("/ui/session", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code }),
  });
  if (response.ok) {
    location.replace("/");
    return;
  }
  const answer = await response.json().catch(() => ({}));
  message.textContent = (answer.errors ?? [`HTTP ${response.status}`]).join("; ");
}

if (code) {
  message.textContent = "Signing in…";
  exchange().catch((error) => {
    message.textContent = `The job did not answer: ${error.message}`;
  });
}
