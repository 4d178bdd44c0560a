/*
 * Starts the Broker Portal's (Wagtail admin's) widgets that Wagtail starts with inline scripts,
 * which the Content-Security-Policy refuses. The markup carries, instead of the script,
 *   <span hidden data-bp-init="initDateChooser" data-bp-target="id_go_live_at"
 *         data-bp-options='{"dayOfWeekStart": 0}'></span>
 * (data-bp-new: call it as a constructor; data-bp-target: the first argument). Elements added
 * later (a new inline-panel form, a modal) are started as they appear.
 * Markup: brokerportal/templates/wagtailadmin/, brokerportal/wagtail_csp.py.
 */
(function () {
  "use strict";

  function start(element) {
    if (element.bpStarted) return;
    element.bpStarted = true;
    var name = element.dataset.bpInit;
    var starter = window[name];
    if (typeof starter !== "function") {
      console.error("Broker Portal: no widget starter named " + name);
      return;
    }
    var options = element.dataset.bpOptions ? JSON.parse(element.dataset.bpOptions) : {};
    var args = "bpTarget" in element.dataset ? [element.dataset.bpTarget, options] : [options];
    if ("bpNew" in element.dataset) {
      Reflect.construct(starter, args);
    } else {
      starter.apply(window, args);
    }
  }

  // Wagtail's rich text editor (Draftail) renders its editable area as role="textbox" with no
  // name of its own: name it after the field's label, so screen readers announce the field.
  function nameRichText(root) {
    root.querySelectorAll(".Draftail-Editor [role=textbox]").forEach(function (box) {
      if (box.getAttribute("aria-label") || box.getAttribute("aria-labelledby")) return;
      var field = box.closest("[data-field-wrapper], .w-field__wrapper, .w-field");
      var label = field && field.querySelector("label, .w-field__label");
      if (label) {
        if (!label.id) label.id = "bp-label-" + Math.random().toString(36).slice(2);
        box.setAttribute("aria-labelledby", label.id);
      } else {
        box.setAttribute("aria-label", "Rich text");
      }
    });
  }

  function startWithin(root) {
    if (root.nodeType !== 1) return;
    if (root.matches("[data-bp-init]")) start(root);
    root.querySelectorAll("[data-bp-init]").forEach(start);
    nameRichText(root.closest ? root.closest(".Draftail-Editor") || root : root);
  }

  // A table wider than its column scrolls inside a box of its own rather than widening the
  // page (WCAG 2.2, 1.4.10 Reflow). The box is a named region that takes the keyboard focus,
  // so it can be scrolled without a pointer (admin.css styles it).
  function tableName(table, index) {
    var caption = table.querySelector("caption");
    var text = caption ? caption.textContent : "";
    for (var node = table; !text && node && node !== document.body; node = node.parentElement) {
      for (var sibling = node.previousElementSibling; sibling; sibling = sibling.previousElementSibling) {
        var heading = sibling.matches("h1, h2, h3, h4") ? sibling : sibling.querySelector("h1, h2, h3, h4");
        if (heading) {
          text = heading.textContent;
          break;
        }
      }
    }
    text = (text || "Table").replace(/\s+/g, " ").trim();
    return text + " (table " + (index + 1) + ", scrolls sideways)";
  }

  function scrollWideTables() {
    document.querySelectorAll("main table").forEach(function (table, index) {
      if (table.closest(".bp-scroll")) return;
      var parent = table.parentElement;
      if (!parent || table.scrollWidth <= parent.clientWidth + 1) return;
      var box = document.createElement("div");
      box.className = "bp-scroll";
      box.setAttribute("role", "region");
      box.setAttribute("tabindex", "0");
      box.setAttribute("aria-label", tableName(table, index));
      parent.insertBefore(box, table);
      box.appendChild(table);
    });
  }

  function boot() {
    scrollWideTables();
    window.addEventListener("resize", scrollWideTables);
    startWithin(document.documentElement);
    new MutationObserver(function (records) {
      records.forEach(function (record) {
        record.addedNodes.forEach(startWithin);
      });
    }).observe(document.documentElement, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", boot);
  } else {
    boot();
  }
})();
