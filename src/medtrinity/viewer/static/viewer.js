// The viewer page: paged list with filters, image with ROI overlays drawn from RLE masks, sentences linked
// to the ROIs and passages their evidence cites, and accept / reject / edit decisions.
"use strict";

const COLOURS = [[0, 170, 255], [80, 220, 80], [255, 140, 60], [220, 80, 220], [255, 60, 60], [0, 220, 220]];
const HIGHLIGHT = [255, 235, 0];
const state = { offset: 0, limit: 25, total: 0, row: null, masks: [], visible: [], pinned: [], hovered: null,
                image: null };

const $ = (selector) => document.querySelector(selector);

function el(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text) node.textContent = text;
  return node;
}

async function api(path, options) {
  const response = await fetch(path, options);
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

function filters() {
  const params = new URLSearchParams();
  for (const name of ["source", "modality", "label", "qc", "review", "text"]) {
    const value = $(`#f-${name}`).value.trim();
    if (value) params.set(name, value);
  }
  return params;
}

async function loadFacets() {
  const facets = await api("/api/facets");
  $("#run-name").textContent = `${facets.run}: ${facets.rows} rows`;
  for (const [name, key] of [["source", "sources"], ["modality", "modalities"], ["label", "labels"], ["qc", "qc"]]) {
    for (const value of facets[key]) $(`#f-${name}`).appendChild(el("option", { value }, value));
  }
}

async function loadRows() {
  const params = filters();
  params.set("offset", state.offset);
  params.set("limit", state.limit);
  const page = await api(`/api/rows?${params}`);
  state.total = page.total;
  const body = $("#rows tbody");
  body.replaceChildren();
  for (const row of page.rows) {
    const status = row.review_status + (row.edited ? (row.review_status ? "+edited" : "edited") : "");
    const tr = el("tr", { "data-id": row.id, class: row.review_status ? `review-${row.review_status}` : "" });
    tr.title = row.description_start;
    for (const text of [row.id, row.source, row.modality, row.roi_labels.join(", "), row.qc_status, status]) {
      tr.appendChild(el("td", {}, String(text)));
    }
    if (state.row && state.row.id === row.id) tr.classList.add("selected");
    tr.addEventListener("click", () => loadDetail(row.id));
    body.appendChild(tr);
  }
  $("#list-count").textContent = `${page.total} matching rows`;
  const last = Math.min(page.offset + page.rows.length, page.total);
  $("#page-info").textContent = page.total ? `${page.offset + 1}-${last} of ${page.total}` : "none";
  $("#prev").disabled = page.offset === 0;
  $("#next").disabled = last >= page.total;
}

function evidenceTargets(evidence) {
  // "rois[2].area_mm2" cites ROI 2; "passage:<id>" cites a retrieved passage.
  const rois = new Set(), passages = new Set();
  for (const key of evidence || []) {
    const roi = /^rois\[(\d+)\]/.exec(key);
    if (roi) rois.add(Number(roi[1]));
    if (key.startsWith("passage:")) passages.add(key.slice("passage:".length));
  }
  return { rois: [...rois], passages: [...passages] };
}

async function loadDetail(id) {
  const row = await api(`/api/rows/${encodeURIComponent(id)}`);
  state.row = row;
  state.masks = row.rois.map((roi) => rleDecode(roi.mask_rle));
  state.visible = row.rois.map(() => true);
  state.pinned = [];
  state.hovered = null;
  for (const tr of document.querySelectorAll("#rows tbody tr")) tr.classList.toggle("selected", tr.dataset.id === id);
  $("#detail-panel").hidden = false;
  $("#detail-title").textContent = `${row.id} · ${row.source} · ${row.modality} · ${row.body_part || "body part unknown"}`;
  renderRois(row);
  renderDescription(row);
  renderPassages(row);
  renderMetadata(row);
  renderReview(row);
  const image = new Image();
  image.onload = () => { state.image = image; draw(); };
  image.src = `/api/rows/${encodeURIComponent(id)}/image.png`;
}

function renderRois(row) {
  const list = $("#roi-list");
  list.replaceChildren();
  row.rois.forEach((roi, index) => {
    const item = el("li", { "data-roi": index });
    item.style.borderLeftColor = `rgb(${COLOURS[index % COLOURS.length].join(",")})`;
    const box = el("input", { type: "checkbox", "data-roi-toggle": index });
    box.checked = true;
    box.addEventListener("change", () => { state.visible[index] = box.checked; draw(); });
    item.appendChild(box);
    const size = roi.largest_diameter_mm ? `, ${roi.largest_diameter_mm} mm` : "";
    item.appendChild(el("span", {}, ` ${roi.label} (${roi.kind}${size}, ${roi.area_px} px)`));
    list.appendChild(item);
  });
}

function renderDescription(row) {
  const box = $("#description");
  box.replaceChildren();
  const edited = row.review && row.review.edited_text;
  if (edited) {
    box.appendChild(el("p", { class: "edited" }, edited));
    box.appendChild(el("p", {}, "(edited by a reviewer; the generated sentences below keep their links)"));
  }
  if (!row.description_evidence.length) box.appendChild(el("p", {}, row.description_text));
  row.description_evidence.forEach((sentence, index) => {
    const targets = evidenceTargets(sentence.evidence);
    const span = el("span", { class: "sentence", "data-sentence": index, "data-rois": targets.rois.join(","),
                              "data-passages": targets.passages.join(",") }, sentence.sentence);
    if (targets.rois.length || targets.passages.length) span.classList.add("linked");
    span.title = `${sentence.section}: ${(sentence.evidence || []).join(", ")}`;
    span.addEventListener("mouseenter", () => { state.hovered = targets; draw(); });
    span.addEventListener("mouseleave", () => { state.hovered = null; draw(); });
    span.addEventListener("click", () => {
      const same = span.classList.contains("active");
      for (const other of document.querySelectorAll(".sentence.active")) other.classList.remove("active");
      state.pinned = same ? [] : [targets];
      if (!same) span.classList.add("active");
      draw();
    });
    box.appendChild(span);
    box.appendChild(document.createTextNode(" "));
  });
}

function renderPassages(row) {
  const list = $("#passages");
  list.replaceChildren();
  for (const passage of row.passages) {
    const item = el("li", { "data-passage": passage.id });
    item.appendChild(el("b", {}, `${passage.title} `));
    item.appendChild(el("small", {}, `(${passage.source}, ${passage.license}, score ${passage.score.toFixed(2)}) `));
    item.appendChild(el("span", {}, passage.text));
    list.appendChild(item);
  }
  if (!row.passages.length) list.appendChild(el("li", {}, "no passages retrieved"));
}

function renderMetadata(row) {
  const table = $("#metadata");
  table.replaceChildren();
  const facts = { plane: row.plane, slice_index: row.slice_index, size: `${row.width} x ${row.height}`,
                  spacing_mm: row.spacing_mm, orientation: row.patient_orientation, licence: row.license,
                  qc: `${row.qc_status} ${row.qc_issues.map((issue) => issue.code).join(", ")}`,
                  backend: `${row.description_backend} ${row.description_model} ${row.prompt_version}`,
                  ...row.metadata };
  for (const [key, value] of Object.entries(facts)) {
    const tr = el("tr");
    tr.appendChild(el("td", {}, key));
    tr.appendChild(el("td", {}, typeof value === "object" ? JSON.stringify(value) : String(value)));
    table.appendChild(tr);
  }
}

function renderReview(row) {
  const review = row.review;
  const text = !review ? "not reviewed" :
    `${review.status || "no decision"}${review.edited_text ? " (edited)" : ""} by ${review.who} at ${review.when}`;
  $("#review-status").textContent = text;
  $("#review-status").dataset.status = review ? review.status : "";
  $("#edit-text").value = (review && review.edited_text) || row.description_text;
  $("#editor").hidden = true;
}

function highlighted() {
  const targets = state.hovered ? [state.hovered] : state.pinned;
  const rois = new Set(), passages = new Set();
  for (const target of targets) {
    target.rois.forEach((index) => rois.add(index));
    target.passages.forEach((id) => passages.add(id));
  }
  return { rois, passages };
}

function draw() {
  const { rois, passages } = highlighted();
  for (const item of document.querySelectorAll("#roi-list li")) {
    item.classList.toggle("highlighted", rois.has(Number(item.dataset.roi)));
  }
  for (const item of document.querySelectorAll("#passages li[data-passage]")) {
    item.classList.toggle("highlighted", passages.has(item.dataset.passage));
  }
  const canvas = $("#image-canvas");
  canvas.dataset.highlightedRois = [...rois].sort((a, b) => a - b).join(",");
  if (!state.image || !state.row) return;
  const { width, height } = state.row;
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(state.image, 0, 0, width, height);
  const base = context.getImageData(0, 0, width, height);
  const pixels = base.data;
  state.masks.forEach((mask, index) => {
    const hot = rois.has(index);
    if (!state.visible[index] && !hot) return;
    const colour = hot ? HIGHLIGHT : COLOURS[index % COLOURS.length];
    const alpha = hot ? 0.8 : 0.35;
    for (let pixel = 0; pixel < mask.length; pixel++) {
      if (!mask[pixel]) continue;
      const at = pixel * 4;
      for (let channel = 0; channel < 3; channel++) {
        pixels[at + channel] = Math.round(pixels[at + channel] * (1 - alpha) + colour[channel] * alpha);
      }
    }
  });
  context.putImageData(base, 0, 0);
  canvas.dataset.drawn = String(Date.now());
}

async function review(action, text) {
  const who = $("#reviewer").value.trim();
  await api(`/api/rows/${encodeURIComponent(state.row.id)}/review`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ action, who, text: text || null }),
  });
  await loadDetail(state.row.id);
  await loadRows();
}

function init() {
  $("#filters").addEventListener("submit", (event) => { event.preventDefault(); state.offset = 0; loadRows(); });
  $("#prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - state.limit); loadRows(); });
  $("#next").addEventListener("click", () => { state.offset += state.limit; loadRows(); });
  $("#accept").addEventListener("click", () => review("accept"));
  $("#reject").addEventListener("click", () => review("reject"));
  $("#edit").addEventListener("click", () => { $("#editor").hidden = false; });
  $("#save-edit").addEventListener("click", () => review("edit", $("#edit-text").value));
  $("#reviewer").value = localStorage.getItem("medtrinity-reviewer") || "";
  $("#reviewer").addEventListener("change", () => localStorage.setItem("medtrinity-reviewer", $("#reviewer").value));
  const selected = new URLSearchParams(location.search).get("id");
  loadFacets().then(loadRows).then(() => { if (selected) loadDetail(selected); });
}

init();
