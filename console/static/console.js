// Supportline console: the little script of our own. Everything works
// without it; it adds live countdowns of SLA time left, a refresh of the
// dashboard every few seconds, and copy-to-clipboard buttons.
(function () {
  "use strict";

  // skew is the server's clock minus ours, from the page's data-now.
  var skew = 0;

  function span(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (h ? h + "h " : "") + (h || m ? m + "m " : "") + r + "s";
  }

  function tick() {
    var now = Date.now() + skew;
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var left = Date.parse(el.getAttribute("data-due")) - now;
      if (left > 0) {
        el.textContent = "due in " + span(left);
        el.classList.remove("overdue");
      } else {
        el.textContent = "overdue by " + span(left);
        el.classList.add("overdue");
      }
    });
  }

  function setSkew(root) {
    var el = root.querySelector("[data-now]");
    if (el) {
      skew = Date.parse(el.getAttribute("data-now")) - Date.now();
    }
  }

  // refresh replaces the live part of the page with the server's current
  // one, every data-refresh seconds, while the tab is visible.
  function refresh(live) {
    var every = parseInt(live.getAttribute("data-refresh"), 10) * 1000;
    setInterval(function () {
      if (document.hidden) {
        return;
      }
      fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (res) {
          if (!res.ok || res.redirected) {
            throw new Error("refresh: " + res.status);
          }
          return res.text();
        })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById(live.id);
          if (fresh) {
            live.replaceWith(fresh);
            live = fresh;
            setSkew(document);
            tick();
          }
        })
        .catch(function () { /* keep what is shown; the next round tries again */ });
    }, every);
  }

  document.addEventListener("DOMContentLoaded", function () {
    setSkew(document);
    tick();
    setInterval(tick, 1000);
    var live = document.querySelector("[data-refresh]");
    if (live) {
      refresh(live);
    }
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var target = document.getElementById(button.getAttribute("data-copy"));
        if (target && navigator.clipboard) {
          navigator.clipboard.writeText(target.textContent.trim()).then(function () {
            button.textContent = "Copied";
          });
        }
      });
    });
  });
})();
