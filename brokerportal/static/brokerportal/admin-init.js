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

  function boot() {
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
