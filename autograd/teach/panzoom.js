/* panzoom.js: pan and zoom for any picture in a box (an inline <svg>, an <img>, a <canvas>).
 * No dependencies, no build step; part of chainrule (MIT licence, as the project).
 *
 *   var pz = PanZoom.attach(box);          // box: an element holding the picture
 *   pz.setContent(svgElement, {keep: true}); pz.fit(); pz.zoomBy(1.25); pz.view() -> {x, y, scale}
 *   pz.setView(view)                        // the same view on another picture (the step page's steps)
 *   PanZoom.attachAll('.picture');         // every box matching a selector (step page, report)
 *   options: {minScale, maxScale, maxFit (largest scale a fit may use), minFit (a fit that would
 *   shrink the picture below this scale shows it at this scale from its left end instead), fit: false}
 *
 * Drag to pan (mouse, pen or one finger), wheel or pinch to zoom around the pointer,
 * double-click or the ⤢ button to fit, + and − buttons, and the keys + − 0 and the arrows
 * when the box has focus. A press that moves less than 4 px stays a click, so the picture's
 * own links and click handlers keep working.
 */
(function (global) {
  'use strict';
  var STYLE = [
    '.pz-box{position:relative;overflow:hidden;touch-action:none;cursor:grab;outline:none}',
    '.pz-box:focus-visible{box-shadow:0 0 0 2px #6366f1}',
    '.pz-box.pz-dragging{cursor:grabbing}',
    '.pz-layer{position:absolute;left:0;top:0;transform-origin:0 0;will-change:transform}',
    '.pz-layer>*{display:block;max-width:none!important;max-height:none!important}',
    '.pz-controls{position:absolute;right:6px;top:6px;display:flex;gap:4px;z-index:2}',
    '.pz-controls button{width:28px;height:28px;border:1px solid #9ca3af;border-radius:6px;background:#fffe;',
    'font:16px/1 system-ui,sans-serif;cursor:pointer;padding:0}',
    '.pz-controls button:hover{background:#eef2ff}'
  ].join('');

  function injectStyle() {
    if (document.getElementById('panzoom-style')) { return; }
    var style = document.createElement('style');
    style.id = 'panzoom-style';
    style.textContent = STYLE;
    document.head.appendChild(style);
  }

  function button(label, title, action) {
    var b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.title = title;
    b.setAttribute('aria-label', title);
    b.addEventListener('click', function (e) { e.stopPropagation(); action(); });
    b.addEventListener('pointerdown', function (e) { e.stopPropagation(); });
    return b;
  }

  function attach(box, options) {
    if (box.panzoom) { return box.panzoom; }
    options = options || {};
    injectStyle();
    var minScale = options.minScale || 0.02, maxScale = options.maxScale || 40;
    var view = {x: 0, y: 0, scale: 1};
    var layer = document.createElement('div');
    layer.className = 'pz-layer';
    while (box.firstChild) { layer.appendChild(box.firstChild); }
    box.appendChild(layer);
    box.classList.add('pz-box');
    if (!box.hasAttribute('tabindex')) { box.tabIndex = 0; }
    var controls = document.createElement('div');
    controls.className = 'pz-controls';
    controls.appendChild(button('+', 'zoom in', function () { zoomBy(1.25); }));
    controls.appendChild(button('−', 'zoom out', function () { zoomBy(0.8); }));
    controls.appendChild(button('⤢', 'fit the picture in the box', function () { fit(); }));
    box.appendChild(controls);

    function apply() {
      layer.style.transform = 'translate(' + view.x + 'px,' + view.y + 'px) scale(' + view.scale + ')';
      box.dataset.scale = view.scale.toFixed(4);
    }
    function size() { return {w: layer.offsetWidth || 1, h: layer.offsetHeight || 1}; }
    function fit() {
      var s = size(), bw = box.clientWidth || 1, bh = box.clientHeight || 1;
      view.scale = Math.min(bw / s.w, bh / s.h, options.maxFit || 1.5) * 0.96;
      view.x = (bw - s.w * view.scale) / 2;
      if (options.minFit && view.scale < options.minFit) {  // too small to read: start at the left end
        view.scale = options.minFit;
        view.x = 8;
      }
      view.y = (bh - s.h * view.scale) / 2;
      apply();
    }
    function zoomAt(factor, px, py) {
      var next = Math.max(minScale, Math.min(maxScale, view.scale * factor));
      view.x = px - (px - view.x) * next / view.scale;
      view.y = py - (py - view.y) * next / view.scale;
      view.scale = next;
      apply();
    }
    function zoomBy(factor) { zoomAt(factor, box.clientWidth / 2, box.clientHeight / 2); }
    function local(e) {
      var r = box.getBoundingClientRect();
      return {x: e.clientX - r.left, y: e.clientY - r.top};
    }

    box.addEventListener('wheel', function (e) {
      e.preventDefault();
      var delta = e.deltaY * (e.deltaMode === 1 ? 33 : e.deltaMode === 2 ? 400 : 1);
      var p = local(e);
      zoomAt(Math.exp(-delta * 0.0015), p.x, p.y);
    }, {passive: false});

    var pointers = {}, drag = null;
    function count() { return Object.keys(pointers).length; }
    function pinchState() {
      var ids = Object.keys(pointers), a = pointers[ids[0]], b = pointers[ids[1]];
      return {d: Math.hypot(a.x - b.x, a.y - b.y) || 1, x: (a.x + b.x) / 2, y: (a.y + b.y) / 2};
    }
    box.addEventListener('pointerdown', function (e) {
      if (e.button !== undefined && e.button !== 0) { return; }
      pointers[e.pointerId] = local(e);
      drag = {start: local(e), view: {x: view.x, y: view.y}, moved: false, id: e.pointerId,
              pinch: count() === 2 ? pinchState() : null};
    });
    box.addEventListener('pointermove', function (e) {
      if (!drag || !(e.pointerId in pointers)) { return; }
      pointers[e.pointerId] = local(e);
      if (count() === 2) {
        var now = pinchState(), before = drag.pinch || now;
        zoomAt(now.d / before.d, now.x, now.y);
        view.x += now.x - before.x; view.y += now.y - before.y; apply();
        drag.pinch = now; drag.moved = true;
        return;
      }
      var p = pointers[e.pointerId], dx = p.x - drag.start.x, dy = p.y - drag.start.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) { return; }
      if (!drag.moved) {
        drag.moved = true;
        box.classList.add('pz-dragging');
        try { box.setPointerCapture(e.pointerId); } catch (err) { /* the pointer is gone */ }
      }
      view.x = drag.view.x + dx; view.y = drag.view.y + dy; apply();
    });
    function end(e) {
      delete pointers[e.pointerId];
      if (drag && drag.moved) {
        box.dataset.dragged = '1';  // the click that follows a drag is swallowed below
        setTimeout(function () { delete box.dataset.dragged; }, 0);
      }
      if (count() === 0) { drag = null; box.classList.remove('pz-dragging'); }
      else if (drag) {
        var left = pointers[Object.keys(pointers)[0]];
        drag = {start: left, view: {x: view.x, y: view.y}, moved: true, pinch: null};
      }
    }
    box.addEventListener('pointerup', end);
    box.addEventListener('pointercancel', end);
    box.addEventListener('click', function (e) {
      if (box.dataset.dragged) { e.stopPropagation(); e.preventDefault(); }
    }, true);
    box.addEventListener('dblclick', function (e) { e.preventDefault(); fit(); });
    box.addEventListener('keydown', function (e) {
      var step = 40, handled = true;
      if (e.key === '+' || e.key === '=') { zoomBy(1.25); }
      else if (e.key === '-' || e.key === '_') { zoomBy(0.8); }
      else if (e.key === '0') { fit(); }
      else if (e.key === 'ArrowLeft') { view.x += step; apply(); }
      else if (e.key === 'ArrowRight') { view.x -= step; apply(); }
      else if (e.key === 'ArrowUp') { view.y += step; apply(); }
      else if (e.key === 'ArrowDown') { view.y -= step; apply(); }
      else { handled = false; }
      if (handled) { e.preventDefault(); e.stopPropagation(); }
    });

    function setContent(node, opts) {
      while (layer.firstChild) { layer.removeChild(layer.firstChild); }
      if (node) { layer.appendChild(node); }
      if (!(opts && opts.keep)) { fit(); }
    }
    var images = layer.querySelectorAll('img');
    Array.prototype.forEach.call(images, function (img) {
      if (!img.complete) { img.addEventListener('load', fit, {once: true}); }
    });
    var api = {
      fit: fit, zoomBy: zoomBy, zoomAt: zoomAt, setContent: setContent, layer: layer,
      view: function () { return {x: view.x, y: view.y, scale: view.scale}; },
      setView: function (v) { view.x = v.x; view.y = v.y; view.scale = v.scale; apply(); }
    };
    box.panzoom = api;
    if (options.fit !== false) { fit(); }
    return api;
  }

  function attachAll(selector, options) {
    return Array.prototype.map.call(document.querySelectorAll(selector), function (box) {
      return attach(box, options);
    });
  }

  global.PanZoom = {attach: attach, attachAll: attachAll};
})(window);
