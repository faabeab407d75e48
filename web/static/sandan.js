/* Sandan (三单): small page helpers. No build step, no globals besides window.Sandan.
 *
 * - Wraps every <table class="table"> that is not already inside .table-responsive, so wide
 *   tables scroll sideways instead of widening the page on a phone (opt out: data-no-wrap).
 * - Draws mermaid diagrams (<pre class="mermaid">…</pre>), loading the large mermaid bundle only
 *   on pages that have one. Its URL comes from this script tag's data-mermaid-src.
 * - Upload forms (<form class="upload-form" data-max-bytes data-msg-too-large data-msg-bad-type>):
 *   files over the size limit or not of an accepted type are named inline before anything is
 *   sent; htmx's upload progress drives the form's <progress>. The server checks again.
 * All run on page load and on content htmx swaps in.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var mermaidSrc = script && script.dataset ? script.dataset.mermaidSrc : null;
  var mermaidLoading = null;

  function wrapTables(root) {
    var tables = root.querySelectorAll ? root.querySelectorAll("table.table") : [];
    Array.prototype.forEach.call(tables, function (table) {
      if (table.hasAttribute("data-no-wrap") || table.closest(".table-responsive")) return;
      var wrapper = document.createElement("div");
      wrapper.className = "table-responsive";
      table.parentNode.insertBefore(wrapper, table);
      wrapper.appendChild(table);
    });
  }

  function loadMermaid() {
    if (window.mermaid) return Promise.resolve(window.mermaid);
    if (mermaidLoading) return mermaidLoading;
    mermaidLoading = new Promise(function (resolve, reject) {
      if (!mermaidSrc) {
        reject(new Error("sandan.js: no data-mermaid-src"));
        return;
      }
      var tag = document.createElement("script");
      tag.src = mermaidSrc;
      tag.onload = function () {
        window.mermaid.initialize({
          startOnLoad: false,
          securityLevel: "strict",
          theme: "neutral",
          flowchart: { htmlLabels: false },
        });
        resolve(window.mermaid);
      };
      tag.onerror = function () {
        mermaidLoading = null;
        reject(new Error("sandan.js: could not load " + mermaidSrc));
      };
      document.head.appendChild(tag);
    });
    return mermaidLoading;
  }

  function renderMermaid(root) {
    var nodes = [];
    if (root.matches && root.matches(".mermaid:not([data-processed])")) nodes.push(root);
    if (root.querySelectorAll) {
      Array.prototype.push.apply(nodes, root.querySelectorAll(".mermaid:not([data-processed])"));
    }
    if (!nodes.length) return Promise.resolve();
    return loadMermaid()
      .then(function (mermaid) {
        return mermaid.run({ nodes: nodes, suppressErrors: true });
      })
      .catch(function (err) {
        // The diagram source stays visible as text; that is the fallback.
        if (window.console) console.warn(err);
      });
  }

  function uploadProblems(form, input) {
    var max = parseInt(form.dataset.maxBytes || "0", 10);
    var accepted = (input.getAttribute("accept") || "").toLowerCase().split(",").filter(Boolean);
    var problems = [];
    Array.prototype.forEach.call(input.files || [], function (file) {
      var dot = file.name.lastIndexOf(".");
      var suffix = dot >= 0 ? file.name.slice(dot).toLowerCase() : "";
      if (accepted.length && accepted.indexOf(suffix) < 0) {
        problems.push(form.dataset.msgBadType.replace("{name}", file.name));
      } else if (max && file.size > max) {
        problems.push(form.dataset.msgTooLarge.replace("{name}", file.name));
      }
    });
    return problems;
  }

  function showProblems(form, input, problems) {
    var box = form.querySelector(".upload-errors");
    if (!box) return;
    box.textContent = "";
    problems.forEach(function (text) {
      var line = document.createElement("div");
      line.textContent = text;
      box.appendChild(line);
    });
    input.classList.toggle("is-invalid", problems.length > 0);
  }

  function watchUploads(root) {
    var forms = root.querySelectorAll ? root.querySelectorAll("form.upload-form") : [];
    Array.prototype.forEach.call(forms, function (form) {
      if (form.dataset.watched) return;
      form.dataset.watched = "1";
      var input = form.querySelector("input[type=file]");
      var bar = form.querySelector("progress");
      input.addEventListener("change", function () {
        showProblems(form, input, uploadProblems(form, input));
      });
      form.addEventListener("submit", function (event) {
        var problems = uploadProblems(form, input);
        if (problems.length) {
          showProblems(form, input, problems);
          event.preventDefault();
          event.stopImmediatePropagation();
        }
      }, true);
      form.addEventListener("htmx:xhr:progress", function (event) {
        if (!bar || !event.detail.total) return;
        bar.hidden = false;
        bar.value = (event.detail.loaded / event.detail.total) * 100;
      });
    });
  }

  function enhance(root) {
    wrapTables(root);
    renderMermaid(root);
    watchUploads(root);
  }

  window.Sandan = { enhance: enhance, renderMermaid: renderMermaid, wrapTables: wrapTables };

  if (window.htmx && window.htmx.onLoad) {
    // htmx calls this once for the body after load, then for every swapped-in element.
    window.htmx.onLoad(enhance);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhance(document.body); });
  } else {
    enhance(document.body);
  }
})();
