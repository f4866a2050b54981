// Offline search over the indicators, chapters and cities (search-index.js), and the language
// switch of the bilingual edition. The pages work without either: both stay hidden then.
(function () {
  "use strict";
  var root = document.documentElement;
  var switcher = document.querySelector(".switch");
  if (switcher) {
    var show = function (which) {
      root.setAttribute("data-show", which);
      switcher.querySelectorAll("button").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b.getAttribute("data-show") === which));
      });
      try { localStorage.setItem("yearbook-show", which); } catch (e) { /* file:// may refuse */ }
    };
    var saved = null;
    try { saved = localStorage.getItem("yearbook-show"); } catch (e) { saved = null; }
    show(saved === "zh" || saved === "en" ? saved : "both");
    switcher.addEventListener("click", function (e) {
      var b = e.target.closest("button");
      if (b) { show(b.getAttribute("data-show")); }
    });
    switcher.hidden = false;
  }

  var entries = window.YEARBOOK_SEARCH;
  var form = document.querySelector("form.search");
  if (!entries || !form) { return; }
  var input = form.querySelector("input");
  var hits = form.querySelector("#hits");
  var kinds = { chapter: "章 chapter", city: "城市 city", indicator: "指标 indicator" };
  var edition = root.getAttribute("data-edition");
  input.addEventListener("input", function () {
    var q = input.value.trim().toLowerCase();
    hits.textContent = "";
    if (!q) { return; }
    var found = 0;
    for (var i = 0; i < entries.length && found < 30; i++) {
      var e = entries[i];
      if (e.zh.toLowerCase().indexOf(q) < 0 && e.en.toLowerCase().indexOf(q) < 0) { continue; }
      found++;
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = e.href;
      a.textContent = edition === "en" ? e.en : edition === "zh" ? e.zh : e.zh + (e.zh === e.en ? "" : " " + e.en);
      var k = document.createElement("span");
      k.className = "kind";
      k.textContent = kinds[e.kind] || e.kind;
      a.appendChild(k);
      li.appendChild(a);
      hits.appendChild(li);
    }
    if (!found) {
      var none = document.createElement("li");
      none.textContent = "无结果 No match";
      hits.appendChild(none);
    }
  });
  form.hidden = false;
})();
