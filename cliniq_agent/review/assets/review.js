/* cliniq-agent review page: a record row and its highlights in the source point at each other.
   Rows carry data-target="KEY …", highlights data-hl="KEY …"; the same key links the two. */
(function () {
  "use strict";

  function keysOf(el, name) {
    return (el.getAttribute(name) || "").split(/\s+/).filter(Boolean);
  }

  function select(attr, key) {
    return document.querySelectorAll("[" + attr + '~="' + CSS.escape(key) + '"]');
  }

  function openAncestors(el) {
    for (var node = el.parentElement; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") { node.open = true; }
    }
  }

  function clearActive() {
    document.querySelectorAll(".active").forEach(function (el) { el.classList.remove("active"); });
  }

  function activate(keys) {
    keys.forEach(function (key) {
      select("data-hl", key).forEach(function (el) { el.classList.add("active"); });
      select("data-target", key).forEach(function (el) { el.classList.add("active"); });
    });
  }

  /* Row → source: scroll the first highlight of the row's evidence into view and focus it. */
  function showSource(keys) {
    for (var i = 0; i < keys.length; i++) {
      var mark = document.querySelector('[data-hl~="' + CSS.escape(keys[i]) + '"]');
      if (mark) {
        clearActive();
        activate(keys);
        openAncestors(mark);
        mark.scrollIntoView({ block: "center", inline: "nearest" });
        mark.focus({ preventScroll: true });
        return true;
      }
    }
    return false;
  }

  /* Source → row: the first row that rests on this highlight (record rows before excluded and candidates). */
  function showRow(keys) {
    var row = null;
    for (var i = 0; i < keys.length && !row; i++) {
      row = document.querySelector('.item-row[data-target~="' + CSS.escape(keys[i]) + '"]') ||
            document.querySelector('[data-target~="' + CSS.escape(keys[i]) + '"]');
    }
    if (!row) { return; }
    clearActive();
    activate(keysOf(row, "data-target"));
    openAncestors(row);
    row.scrollIntoView({ block: "center", inline: "nearest" });
    var link = row.querySelector("a.jump");
    (link || row).focus({ preventScroll: true });
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest("summary, details pre, a.to-row")) { return; }
    var mark = target.closest("[data-hl]");
    if (mark) { event.preventDefault(); showRow(keysOf(mark, "data-hl")); return; }
    var row = target.closest("[data-target]");
    if (row && showSource(keysOf(row, "data-target"))) { event.preventDefault(); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" && event.key !== " ") { return; }
    var mark = event.target.closest && event.target.closest("[data-hl]");
    if (mark) { event.preventDefault(); showRow(keysOf(mark, "data-hl")); }
  });

  /* Printing shows everything: open every collapsed part, close them again afterwards. */
  var reopened = [];
  window.addEventListener("beforeprint", function () {
    reopened = Array.prototype.filter.call(document.querySelectorAll("details"), function (d) { return !d.open; });
    reopened.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    reopened.forEach(function (d) { d.open = false; });
    reopened = [];
  });
})();
