/* Shared by the three rooms: requests, messages, numbers, heatmaps, charts and the
 * network diagram. Plain JavaScript, no dependencies. */
(function (global) {
  'use strict';

  function num(v) { return typeof v === 'string' ? Number(v) : v; }  // "NaN", "Infinity" from JSON

  function fmt(v, digits) {
    v = num(v);
    if (v === null || v === undefined) { return '—'; }
    if (Array.isArray(v)) { return '[' + v.map(function (x) { return fmt(x, 4); }).join(', ') + ']'; }
    if (Number.isNaN(v)) { return 'nan'; }
    if (!Number.isFinite(v)) { return v > 0 ? 'inf' : '-inf'; }
    var text = Number(v.toPrecision(digits || 6)).toString();
    return text === '-0' ? '0' : text;
  }

  function showError(id, message) {
    var box = document.getElementById(id);
    box.textContent = message || '';
    box.hidden = !message;
  }

  /* A JSON request; resolves to the reply, or rejects with the server's one-line message. */
  function api(path, body) {
    var init = body === undefined ? {} : {method: 'POST', headers: {'Content-Type': 'application/json'},
                                           body: JSON.stringify(body)};
    return fetch(path, init).then(function (response) {
      return response.text().then(function (text) {
        var data;
        try { data = JSON.parse(text); } catch (err) { data = {error: 'the server sent no JSON (' + response.status + ')'}; }
        if (!response.ok) { throw new Error(data.error || ('request failed: ' + response.status)); }
        return data;
      });
    }, function () { throw new Error('the studio\'s server cannot be reached: is it still running?'); });
  }

  /* Only the latest of a stream of requests matters (a slider being dragged): at most one
   * in flight, and the newest waiting one is sent when it returns. */
  function Latest(send, onReply, onError) {
    var busy = false, waiting = null;
    function go(args) {
      busy = true;
      send(args).then(onReply, onError).then(function () {
        busy = false;
        if (waiting !== null) { var next = waiting; waiting = null; go(next); }
      });
    }
    return function (args) { if (busy) { waiting = args; } else { go(args); } };
  }

  function bytes(b64) {
    var text = atob(b64), out = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { out[i] = text.charCodeAt(i); }
    return out;
  }

  /* Class 0 red, class 1 blue, as the lab's figures; t in [0, 1]. */
  function diverging(t) {
    var red = [220, 38, 38], white = [255, 255, 255], blue = [37, 99, 235];
    var a = t < 0.5 ? red : white, b = t < 0.5 ? white : blue, u = t < 0.5 ? t * 2 : (t - 0.5) * 2;
    return [a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u, a[2] + (b[2] - a[2]) * u];
  }

  /* A cells×cells heatmap (bytes row by row, the first row at the bottom) onto a canvas. */
  function heatmap(canvas, b64, cells, fade) {
    var data = bytes(b64), ctx = canvas.getContext('2d');
    var image = ctx.createImageData(cells, cells);
    for (var row = 0; row < cells; row++) {
      for (var col = 0; col < cells; col++) {
        var c = diverging(data[row * cells + col] / 255), k = ((cells - 1 - row) * cells + col) * 4;
        var f = fade || 0;
        image.data[k] = c[0] + (255 - c[0]) * f; image.data[k + 1] = c[1] + (255 - c[1]) * f;
        image.data[k + 2] = c[2] + (255 - c[2]) * f; image.data[k + 3] = 255;
      }
    }
    var off = document.createElement('canvas');
    off.width = off.height = cells;
    off.getContext('2d').putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
  }

  /* Data points [x1, x2, label] over a heatmap of the window [lo, hi]². */
  function scatter(canvas, points, win, hollow, selected) {
    var ctx = canvas.getContext('2d'), span = win[1] - win[0];
    points.forEach(function (p, i) {
      var x = (p[0] - win[0]) / span * canvas.width, y = canvas.height - (p[1] - win[0]) / span * canvas.height;
      ctx.beginPath();
      ctx.arc(x, y, i === selected ? 6 : 3.5, 0, 2 * Math.PI);
      ctx.lineWidth = i === selected ? 3 : 1.2;
      ctx.strokeStyle = i === selected ? '#f59e0b' : '#111827';
      ctx.fillStyle = p[2] ? '#2563eb' : '#dc2626';
      if (!hollow) { ctx.fill(); }
      ctx.stroke();
    });
  }

  function nearest(canvas, event, points, win) {
    var r = canvas.getBoundingClientRect(), span = win[1] - win[0];
    var x = win[0] + (event.clientX - r.left) / r.width * span;
    var y = win[0] + (1 - (event.clientY - r.top) / r.height) * span;
    var best = 0, bestD = Infinity;
    points.forEach(function (p, i) {
      var d = (p[0] - x) * (p[0] - x) + (p[1] - y) * (p[1] - y);
      if (d < bestD) { bestD = d; best = i; }
    });
    return best;
  }

  var COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#db2777'];

  /* Line chart of series {name, points: [[x, y], ...], color}, y on a log scale. */
  function chart(canvas, series, marker) {
    var ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height, pad = {l: 44, r: 8, t: 8, b: 18};
    ctx.clearRect(0, 0, w, h);
    var xs = [], ys = [];
    series.forEach(function (s) {
      s.points.forEach(function (p) { var y = num(p[1]); if (y > 0 && Number.isFinite(y)) { xs.push(p[0]); ys.push(y); } });
    });
    if (!xs.length) { return; }
    var x0 = Math.min.apply(null, xs), x1 = Math.max(Math.max.apply(null, xs), x0 + 1);
    var y0 = Math.log10(Math.min.apply(null, ys)), y1 = Math.log10(Math.max.apply(null, ys));
    if (y1 - y0 < 0.5) { y0 -= 0.25; y1 += 0.25; }
    function X(x) { return pad.l + (x - x0) / (x1 - x0) * (w - pad.l - pad.r); }
    function Y(y) { return pad.t + (y1 - Math.log10(y)) / (y1 - y0) * (h - pad.t - pad.b); }
    ctx.font = '10px system-ui, sans-serif'; ctx.fillStyle = '#6b7280'; ctx.strokeStyle = '#e5e7eb';
    for (var e = Math.ceil(y0); e <= Math.floor(y1); e++) {
      ctx.beginPath(); ctx.moveTo(pad.l, Y(Math.pow(10, e))); ctx.lineTo(w - pad.r, Y(Math.pow(10, e))); ctx.stroke();
      ctx.fillText('1e' + e, 4, Y(Math.pow(10, e)) + 3);
    }
    ctx.fillText(String(x0), pad.l, h - 4);
    ctx.fillText(String(x1), w - pad.r - 6 * String(x1).length, h - 4);
    series.forEach(function (s, k) {
      ctx.strokeStyle = s.color || COLORS[k % COLORS.length]; ctx.lineWidth = 1.5; ctx.beginPath();
      var started = false;
      s.points.forEach(function (p) {
        var y = num(p[1]);
        if (!(y > 0 && Number.isFinite(y))) { return; }
        if (started) { ctx.lineTo(X(p[0]), Y(y)); } else { ctx.moveTo(X(p[0]), Y(y)); started = true; }
      });
      ctx.stroke();
      ctx.fillStyle = s.color || COLORS[k % COLORS.length];
      ctx.fillText(s.name, w - pad.r - 70, pad.t + 10 + 11 * k);
    });
    if (marker !== undefined && marker !== null) {
      ctx.strokeStyle = '#f59e0b'; ctx.lineWidth = 2; ctx.beginPath();
      ctx.moveTo(X(marker), pad.t); ctx.lineTo(X(marker), h - pad.b); ctx.stroke();
    }
  }

  /* The network diagram: a column per layer, a heatmap per hidden neuron, a clickable wire
   * per weight (blue positive, orange negative, wider for larger). onSelect(target). */
  function Network(box, onSelect) {
    this.box = box; this.onSelect = onSelect; this.layers = null; this.selected = null;
  }
  Network.prototype.build = function (layers) {
    var box = this.box, self = this;
    box.innerHTML = '';
    this.layers = layers; this.neurons = []; this.wires = [];
    var W = box.clientWidth || 600, H = box.clientHeight || 320, cols = layers.length;
    var size = Math.max(18, Math.min(44, (H - 20) / Math.max.apply(null, layers) - 6));
    this.pos = layers.map(function (n, l) {
      var x = 30 + l * (W - 60 - size) / (cols - 1), out = [];
      for (var j = 0; j < n; j++) { out.push({x: x, y: H / 2 + (j - (n - 1) / 2) * (size + 6) - size / 2}); }
      return out;
    });
    var svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('class', 'wires'); svg.setAttribute('width', W); svg.setAttribute('height', H);
    box.appendChild(svg);
    for (var m = 1; m < cols; m++) {
      this.wires.push([]);
      for (var i = 0; i < layers[m - 1]; i++) {
        for (var j = 0; j < layers[m]; j++) {
          var a = this.pos[m - 1][i], b = this.pos[m][j];
          var d = 'M' + (a.x + size) + ',' + (a.y + size / 2) + ' C' + (a.x + size + 30) + ',' + (a.y + size / 2) +
                  ' ' + (b.x - 30) + ',' + (b.y + size / 2) + ' ' + b.x + ',' + (b.y + size / 2);
          var wire = document.createElementNS('http://www.w3.org/2000/svg', 'path');
          wire.setAttribute('d', d); wire.setAttribute('class', 'wire');
          var hit = document.createElementNS('http://www.w3.org/2000/svg', 'path');
          hit.setAttribute('d', d); hit.setAttribute('class', 'hit');
          hit.dataset.layer = m; hit.dataset.from = i; hit.dataset.unit = j;
          var title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
          title.textContent = 'W' + m + '[' + (i + 1) + '→' + (j + 1) + ']';
          hit.appendChild(title);
          hit.addEventListener('click', function (e) {
            var t = e.currentTarget.dataset;
            self.select({kind: 'weight', layer: +t.layer, from: +t.from, unit: +t.unit});
          });
          svg.appendChild(wire); svg.appendChild(hit);
          this.wires[m - 1].push({el: wire, from: i, unit: j});
        }
      }
    }
    layers.forEach(function (n, l) {
      var column = [];
      for (var j = 0; j < n; j++) {
        var p = self.pos[l][j], c = document.createElement('canvas');
        c.width = c.height = 48; c.className = 'neuron';
        c.style.left = p.x + 'px'; c.style.top = p.y + 'px'; c.style.width = c.style.height = size + 'px';
        c.dataset.layer = l; c.dataset.unit = j;
        c.title = l === 0 ? 'x' + (j + 1) : (l === cols - 1 ? 'the output ŷ' : 'neuron ' + (j + 1) + ' of layer ' + l);
        if (l > 0) {
          c.addEventListener('click', function (e) {
            var t = e.currentTarget.dataset;
            self.select({kind: 'neuron', layer: +t.layer, unit: +t.unit});
          });
        }
        box.appendChild(c); column.push(c);
      }
      self.neurons.push(column);
      var tag = document.createElement('div');
      tag.className = 'tag'; tag.style.left = (self.pos[l][0].x - 4) + 'px'; tag.style.top = '2px';
      tag.textContent = l === 0 ? 'input' : (l === cols - 1 ? 'output' : 'layer ' + l);
      box.appendChild(tag);
    });
  };
  Network.prototype.select = function (target) {
    this.selected = target;
    this.mark();
    if (this.onSelect) { this.onSelect(target); }
  };
  Network.prototype.mark = function () {
    var t = this.selected;
    this.box.querySelectorAll('.selected').forEach(function (el) { el.classList.remove('selected'); });
    if (!t || !this.layers) { return; }
    if (t.kind === 'neuron') { this.neurons[t.layer][t.unit].classList.add('selected'); }
    if (t.kind === 'weight') {
      this.wires[t.layer - 1].forEach(function (w) {
        if (w.from === t.from && w.unit === t.unit) { w.el.classList.add('selected'); }
      });
    }
  };
  /* Draw a view: {boundary, neurons, weights} (see experiments/studio/views.py). */
  Network.prototype.update = function (view, window) {
    var self = this, cols = this.layers.length;
    view.neurons.layers.forEach(function (layer, k) {
      layer.forEach(function (neuron, j) { heatmap(self.neurons[k + 1][j], neuron.data, view.neurons.cells); });
    });
    heatmap(this.neurons[cols - 1][0], view.boundary.data, view.boundary.cells);
    [0, 1].forEach(function (j) { inputMap(self.neurons[0][j], j, window); });
    var biggest = 1e-9;
    view.weights.forEach(function (W) { W.forEach(function (row) { row.forEach(function (v) {
      biggest = Math.max(biggest, Math.abs(num(v)) || 0); }); }); });
    view.weights.forEach(function (W, m) {
      self.wires[m].forEach(function (w) {
        var v = num(W[w.from][w.unit]);
        w.el.setAttribute('stroke', v >= 0 ? '#2563eb' : '#ea580c');
        w.el.setAttribute('stroke-width', (0.5 + 4.5 * Math.min(1, Math.abs(v) / biggest)).toFixed(2));
        w.el.setAttribute('stroke-opacity', '0.75');
      });
    });
    this.mark();
  };
  function inputMap(canvas, j, win) {  // the input feature x1 or x2 itself, over the window
    var ctx = canvas.getContext('2d'), n = canvas.width;
    var image = ctx.createImageData(n, n);
    for (var r = 0; r < n; r++) {
      for (var c = 0; c < n; c++) {
        var t = j === 0 ? c / (n - 1) : 1 - r / (n - 1), col = diverging(t), k = (r * n + c) * 4;
        image.data[k] = col[0]; image.data[k + 1] = col[1]; image.data[k + 2] = col[2]; image.data[k + 3] = 255;
      }
    }
    ctx.putImageData(image, 0, 0);
  }

  /* An SVG from the server into a pan/zoom box; `keep` keeps the current view. */
  function showSvg(pz, svgText, missing, keep) {
    if (!svgText) {
      var p = document.createElement('p');
      p.className = 'missing'; p.textContent = missing || 'no picture';
      pz.setContent(p);
      return null;
    }
    var holder = document.createElement('div');
    holder.innerHTML = svgText;
    var svg = holder.querySelector('svg');
    pz.setContent(svg, {keep: keep});
    return svg;
  }

  global.Studio = {api: api, fmt: fmt, num: num, showError: showError, Latest: Latest, heatmap: heatmap,
                   scatter: scatter, nearest: nearest, chart: chart, Network: Network, showSvg: showSvg};

  /* The rooms: #workbench, #microscope, #replay. */
  function route() {
    var room = (location.hash || '#workbench').slice(1);
    if (!document.getElementById(room) || !document.getElementById(room).classList.contains('room')) {
      room = 'workbench';
    }
    document.querySelectorAll('.room').forEach(function (s) { s.hidden = s.id !== room; });
    document.querySelectorAll('.top nav a').forEach(function (a) {
      a.classList.toggle('active', a.dataset.room === room);
    });
    document.dispatchEvent(new CustomEvent('room', {detail: room}));
  }
  global.addEventListener('hashchange', route);
  // after every script's own DOMContentLoaded handler, so the room a page opens at (#microscope) hears it
  document.addEventListener('DOMContentLoaded', function () { setTimeout(route, 0); });
})(window);
