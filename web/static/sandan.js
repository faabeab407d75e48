/* Sandan (三单): small page helpers. No build step, no globals besides window.Sandan.
 *
 * - Wraps every <table class="table"> that is not already inside .table-responsive, so wide
 *   tables scroll sideways instead of widening the page on a phone (opt out: data-no-wrap).
 * - Draws mermaid diagrams (<pre class="mermaid">…</pre>), loading the large mermaid bundle only
 *   on pages that have one. Its URL comes from this script tag's data-mermaid-src.
 * Both run on page load and on content htmx swaps in.
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

  function enhance(root) {
    wrapTables(root);
    renderMermaid(root);
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
