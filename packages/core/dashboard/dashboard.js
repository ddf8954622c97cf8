// The job dashboard: polls the job's REST API once a second (with this job's session cookie)
// and draws what it answers. Rates are computed here from the counters' change between two
// answers. Every text goes in through textContent: nothing the job answers becomes markup.
const POLL_MS = 1000;
const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);

const state = { jobId: undefined, plan: undefined, previous: undefined, operation: undefined, ended: false };

async function api(path, init) {
  const response = await fetch(path, { ...init, headers: { "content-type": "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((body.errors ?? [`HTTP ${response.status}`]).join("; "));
  return body;
}

function svg(parent, name, attributes = {}, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  parent.appendChild(element);
  return element;
}

function element(parent, name, text, className) {
  const child = document.createElement(name);
  if (text !== undefined) child.textContent = text;
  if (className) child.className = className;
  parent.appendChild(child);
  return child;
}

function duration(ms) {
  const s = Math.floor(ms / 1000);
  const parts = [
    [Math.floor(s / 86400), "d"],
    [Math.floor(s / 3600) % 24, "h"],
    [Math.floor(s / 60) % 60, "m"],
    [s % 60, "s"],
  ];
  const shown = parts.filter(([n], i) => n > 0 || i === parts.length - 1);
  return shown.map(([n, unit]) => `${n}${unit}`).join(" ");
}

function bytes(n) {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

const time = (epochMs) => new Date(epochMs).toLocaleTimeString();

/** Records/s in and out and the share of time backpressured, per operator, since the previous answer. */
function rates(details) {
  const previous = state.previous;
  const result = new Map();
  for (const v of details.vertices) {
    const before = previous?.vertices.find((p) => p.id === v.id);
    const seconds = previous ? (details.now - previous.now) / 1000 : 0;
    if (!before || seconds <= 0) {
      result.set(v.id, undefined);
      continue;
    }
    const delta = (key) => v.metrics[key] - before.metrics[key];
    result.set(v.id, {
      inPerSecond: delta("read-records") / seconds,
      outPerSecond: delta("write-records") / seconds,
      backpressure: Math.min(1, delta("accumulated-backpressured-time") / (seconds * 1000)),
    });
  }
  return result;
}

function drawGraph(plan, details, perOperator) {
  const graph = $("graph");
  graph.replaceChildren();
  const defs = svg(graph, "defs");
  const marker = svg(defs, "marker", {
    id: "arrow",
    viewBox: "0 0 10 10",
    refX: 10,
    refY: 5,
    markerWidth: 7,
    markerHeight: 7,
    orient: "auto",
  });
  svg(marker, "path", { d: "M0,0 L10,5 L0,10 z", fill: "#6b7380" });
  // Columns by distance from the source, rows in order within a column.
  const column = new Map();
  const rows = new Map();
  const place = new Map();
  for (const node of plan.nodes) {
    const input = node.inputs[0];
    const c = input ? (column.get(input.id) ?? 0) + 1 : 0;
    column.set(node.id, c);
    const r = rows.get(c) ?? 0;
    rows.set(c, r + 1);
    place.set(node.id, { x: 10 + c * 250, y: 10 + r * 95 });
  }
  const height = Math.max(...rows.values()) * 95 + 10;
  graph.setAttribute("viewBox", `0 0 ${Math.max(...column.values()) * 250 + 230} ${height}`);
  graph.style.height = `${height}px`;
  for (const node of plan.nodes) {
    const to = place.get(node.id);
    for (const input of node.inputs) {
      const from = place.get(input.id);
      svg(graph, "path", {
        class: "edge",
        d: `M${from.x + 200},${from.y + 38} C${from.x + 225},${from.y + 38} ${to.x - 25},${to.y + 38} ${to.x},${to.y + 38}`,
      });
      svg(
        graph,
        "text",
        { class: "edge-label", x: from.x + 204, y: Math.min(from.y, to.y) + 32 },
        input.ship_strategy.toLowerCase(),
      );
    }
  }
  for (const node of plan.nodes) {
    const { x, y } = place.get(node.id);
    const vertex = details.vertices.find((v) => v.id === node.id);
    const rate = perOperator.get(node.id);
    const group = svg(graph, "g", {
      class: "node",
      transform: `translate(${x},${y})`,
      "data-operator": node.id,
    });
    const pressure = rate?.backpressure ?? 0;
    // Green to red with the share of time the operator waited on a full channel.
    svg(group, "rect", { width: 200, height: 76, style: `fill: hsl(${120 - 120 * pressure}, 60%, 93%)` });
    svg(group, "text", { class: "uid", x: 10, y: 18 }, node.id);
    svg(group, "text", { class: "detail", x: 10, y: 33 }, `${node.description} ×${node.parallelism}`);
    const fmt = (n) => (n === undefined ? "–" : n >= 100 ? Math.round(n).toString() : n.toFixed(1));
    // A source only emits; a sink only receives (what it emits goes to its dead-letter sink).
    const isSink = vertex?.metrics["pending-committables"] !== undefined;
    const flow = [
      node.inputs.length > 0 ? `in ${fmt(rate?.inPerSecond)}/s` : undefined,
      !isSink || (rate?.outPerSecond ?? 0) > 0 ? `out ${fmt(rate?.outPerSecond)}/s` : undefined,
    ];
    svg(group, "text", { x: 10, y: 50 }, flow.filter(Boolean).join(" · "));
    svg(
      group,
      "text",
      { x: 10, y: 66, "data-testid": "backpressure" },
      `backpressure ${rate ? Math.round(pressure * 100) : "–"} %`,
    );
    if (vertex?.metrics["pending-committables"] !== undefined)
      svg(
        group,
        "text",
        { class: "detail", x: 130, y: 18 },
        `${vertex.metrics["pending-committables"]} pending`,
      );
  }
}

function drawChart(history) {
  const chart = $("checkpoint-chart");
  chart.replaceChildren();
  const done = history.filter((c) => c.status === "COMPLETED").reverse();
  const width = 600;
  const height = 140;
  chart.setAttribute("viewBox", `0 0 ${width} ${height}`);
  chart.setAttribute("preserveAspectRatio", "none");
  if (done.length === 0) {
    svg(chart, "text", { class: "axis", x: 10, y: 20 }, "no completed checkpoint yet");
    return;
  }
  const maxDuration = Math.max(1, ...done.map((c) => c.end_to_end_duration));
  const maxSize = Math.max(1, ...done.map((c) => c.state_size));
  const step = width / done.length;
  const points = [];
  done.forEach((c, i) => {
    const h = ((height - 20) * c.end_to_end_duration) / maxDuration;
    svg(chart, "rect", {
      class: "bar duration",
      x: i * step + step * 0.15,
      y: height - h,
      width: step * 0.7,
      height: h,
    }).appendChild(
      Object.assign(document.createElementNS(SVG, "title"), {
        textContent: `#${c.id}: ${c.end_to_end_duration} ms, ${bytes(c.state_size)}`,
      }),
    );
    points.push(`${i * step + step / 2},${height - 4 - ((height - 24) * c.state_size) / maxSize}`);
  });
  svg(chart, "polyline", { class: "line size", points: points.join(" ") });
  svg(chart, "text", { class: "axis", x: 4, y: 12 }, `max ${maxDuration} ms · ${bytes(maxSize)}`);
}

function drawCheckpoints(checkpoints) {
  const { counts, latest, history } = checkpoints;
  $("checkpoint-counts").textContent =
    `${counts.completed} completed · ${counts.in_progress} in progress · ${counts.failed} failed · ${counts.restored} restored` +
    (latest.completed
      ? ` · latest #${latest.completed.id} at ${time(latest.completed.trigger_timestamp)}`
      : "");
  drawChart(history);
  const body = $("checkpoint-table").tBodies[0];
  body.replaceChildren();
  for (const c of history.slice(0, 8)) {
    const row = element(body, "tr");
    element(row, "td", `#${c.id}`);
    element(row, "td", c.checkpoint_type.toLowerCase().replace("_", " "));
    element(row, "td", c.status.toLowerCase(), c.status);
    element(row, "td", time(c.trigger_timestamp));
    element(row, "td", c.end_to_end_duration === null ? "–" : `${c.end_to_end_duration} ms`);
    element(row, "td", bytes(c.state_size));
    element(row, "td", c.committables === null ? "–" : String(c.committables));
  }
  const last = $("last-savepoint");
  last.replaceChildren();
  const savepoint = latest.savepoint;
  const row = (term, value) => {
    element(last, "dt", term);
    element(last, "dd", value);
  };
  if (savepoint) {
    row(
      savepoint.checkpoint_type === "SYNC_SAVEPOINT" ? "stop" : "savepoint",
      `#${savepoint.id} at ${time(savepoint.trigger_timestamp)}`,
    );
    row("path", savepoint.external_path);
  } else row("savepoint", "none yet");
  if (latest.restored) row("restored from", `${latest.restored.external_path} (#${latest.restored.id})`);
}

function drawPending(details) {
  const list = $("pending");
  list.replaceChildren();
  for (const v of details.vertices) {
    if (v.metrics["pending-committables"] === undefined) continue;
    element(
      list,
      "li",
      `${v.id} (${v.name}): ${v.metrics["pending-committables"]} committables waiting for their commit`,
    );
  }
}

function drawExceptions(exceptions) {
  const list = $("exceptions");
  list.replaceChildren();
  const entries = exceptions.exceptionHistory.entries;
  if (entries.length === 0) element(list, "li", "none", "muted");
  for (const e of entries) {
    const item = element(list, "li", undefined, "exception");
    element(
      item,
      "strong",
      `${time(e.timestamp)} ${e.exceptionName}${e.taskName ? ` in ${e.taskName}` : ""}${e.restarted ? " (restarted)" : ""}: `,
    );
    element(item, "span", e.message);
  }
}

function showState(jobState) {
  const badge = $("job-state");
  badge.textContent = jobState;
  badge.className = `state ${jobState}`;
  const running = jobState === "RUNNING" && !state.operation;
  for (const id of ["savepoint", "stop", "stop-drain"]) $(id).disabled = !running;
}

async function refresh() {
  if (state.ended) return;
  state.jobId ??= (await api("/jobs")).jobs[0].id;
  const base = `/jobs/${encodeURIComponent(state.jobId)}`;
  state.plan ??= (await api(`${base}/plan`)).plan;
  const [details, checkpoints, exceptions] = await Promise.all([
    api(base),
    api(`${base}/checkpoints`),
    api(`${base}/exceptions`),
  ]);
  $("job-id").textContent = details.jid;
  $("job-name").textContent = details.name;
  document.title = `${details.name} · ${details.state} · Berth`;
  $("uptime").textContent = duration(details.duration);
  showState(details.state);
  drawGraph(state.plan, details, rates(details));
  drawCheckpoints(checkpoints);
  drawPending(details);
  drawExceptions(exceptions);
  state.previous = details;
  $("connection").textContent = `updated ${time(details.now)}`;
}

async function follow(kind, triggerId) {
  const path = `/jobs/${encodeURIComponent(state.jobId)}/savepoints/${encodeURIComponent(triggerId)}`;
  while (true) {
    const status = await api(path);
    const commits =
      status.commits.total > 0 ? ` (commits ${status.commits.done}/${status.commits.total})` : "";
    $("operation").textContent = `${kind}: ${status.phase}${commits}`;
    if (status.status.id === "COMPLETED") return status;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

async function trigger(kind, path, body) {
  const what = kind === "savepoint" ? "take a savepoint" : kind;
  if (
    kind !== "savepoint" &&
    !confirm(
      `${what[0].toUpperCase()}${what.slice(1)} job ${state.jobId}? It takes a savepoint, commits and ends FINISHED.`,
    )
  )
    return;
  state.operation = kind;
  showState($("job-state").textContent);
  try {
    const { "request-id": triggerId } = await api(`/jobs/${encodeURIComponent(state.jobId)}/${path}`, {
      method: "POST",
      body: JSON.stringify(body),
    });
    const result = await follow(kind, triggerId);
    const failure = result.operation["failure-cause"];
    if (failure) {
      $("operation").textContent = `${kind} failed: ${failure.message}`;
    } else {
      $("operation").textContent = `${kind} completed: savepoint ${result.operation.location}`;
      if (result["job-state"] !== "RUNNING") {
        // The job ended; its control plane closes once this answer is read.
        state.ended = true;
        showState(result["job-state"]);
        $("connection").textContent = `job ${result["job-state"]}; its control plane has closed`;
      }
    }
  } catch (error) {
    $("operation").textContent = `${kind} failed: ${error.message}`;
  } finally {
    state.operation = undefined;
    if (!state.ended) showState($("job-state").textContent);
  }
}

$("savepoint").addEventListener("click", () => trigger("savepoint", "savepoints", {}));
$("stop").addEventListener("click", () => trigger("stop", "stop", { drain: false }));
$("stop-drain").addEventListener("click", () => trigger("stop with drain", "stop", { drain: true }));

async function poll() {
  try {
    await refresh();
  } catch (error) {
    if (!state.ended)
      $("connection").textContent = `the job does not answer (${error.message}); it may have ended`;
  }
  if (!state.ended) setTimeout(poll, POLL_MS);
}
poll();
