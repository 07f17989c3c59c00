/* The network microscope: a training session over a websocket (one per tab), the boundary,
 * a heatmap per neuron, loss and gradient-norm curves, and the inspector. */
(function () {
  'use strict';
  var S = window.Studio;
  var el = function (id) { return document.getElementById(id); };
  var socket = null, network = null, pz = null, ready = null, playing = false;
  var losses = [], tests = [], norms = [], point = 0, target = null, lastView = null;

  function connect() {
    var scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    socket = new WebSocket(scheme + location.host + '/ws/train');
    socket.onmessage = function (e) { receive(JSON.parse(e.data)); };
    socket.onclose = function () {
      socket = null;
      S.showError('ms-error', 'the training session ended (the server closed the connection); reload the page');
    };
  }

  function send(message) {
    if (socket && socket.readyState === 1) { socket.send(JSON.stringify(message)); }
  }

  function receive(m) {
    if (m.type === 'error') { S.showError('ms-error', m.message); return; }
    if (m.type === 'ready') { start(m); return; }
    if (m.type === 'frame') { frame(m); return; }
    if (m.type === 'inspect') { inspected(m); }
  }

  function start(m) {
    S.showError('ms-error', '');
    ready = m; losses = []; tests = []; norms = []; point = Math.min(point, m.train.length - 1);
    fillForm(m.settings);
    network.build(m.layers);
    if (target && !fits(target, m.layers)) { target = null; }
    network.selected = target;
    el('ms-inspect').hidden = true;
    frame(m.frame);
  }

  function fits(t, layers) {
    return t.layer < layers.length && t.unit < layers[t.layer] && (t.from === undefined || t.from < layers[t.layer - 1]);
  }

  function frame(f) {
    if (!ready) { return; }
    f.losses.forEach(function (p) { losses.push(p); });
    if (!tests.length || tests[tests.length - 1][0] !== f.test_loss[0]) { tests.push(f.test_loss); }
    f.norms.forEach(function (n) { if (!norms.length || norms[norms.length - 1][0] !== n[0]) { norms.push(n); } });
    if (losses.length > 60000) { losses = losses.filter(function (_, i) { return i % 2 === 0; }); }
    playing = f.playing;
    el('ms-play').textContent = playing ? '❚❚ Pause' : '▶ Play';
    var last = losses.length ? S.fmt(losses[losses.length - 1][1], 4) : '—';
    el('ms-status').textContent = 'epoch ' + f.epoch + ' · loss ' + last + ' · test loss ' + S.fmt(f.test_loss[1], 4) +
        ' · train ' + f.train_accuracy + ' · test ' + f.test_accuracy;
    el('ms-status').dataset.epoch = f.epoch;
    if (f.stopped) { S.showError('ms-error', f.stopped); }
    lastView = f.view;
    drawBoundary();
    network.update(f.view, ready.window);
    S.chart(el('ms-loss-chart'), [{name: 'train', points: losses}, {name: 'test', points: tests}]);
    var layers = ready.layers.length - 1, series = [];
    for (var k = 0; k < layers; k++) {
      series.push({name: 'layer ' + (k + 1), points: norms.map(function (n) { return [n[0], n[k + 1]]; })});
    }
    S.chart(el('ms-norm-chart'), series);
  }

  function drawBoundary() {
    var canvas = el('ms-boundary');
    S.heatmap(canvas, lastView.boundary.data, lastView.boundary.cells, 0.35);
    S.scatter(canvas, ready.test, ready.window, true);
    S.scatter(canvas, ready.train, ready.window, false, point);
  }

  function inspect() {
    if (target) { send({type: 'inspect', point: point, target: target}); }
  }

  function inspected(m) {
    el('ms-inspect').hidden = false;
    el('ms-inspect-title').textContent = m.title + ', for training point ' + (m.point + 1) + ' (' +
        m.x.map(function (v) { return S.fmt(v, 3); }).join(', ') + '; class ' + m.label + ')';
    el('ms-inspect-summary').textContent = m.summary;
    var rows = ['<tr><th>path (largest products first)</th><th>product</th></tr>'];
    m.paths.forEach(function (p) {
      var factors = p.factors.map(function (f) { return f.label + ' ' + f.text; }).join(' × ');
      rows.push('<tr><td>' + escape(factors) + '</td><td>' + escape(p.text) + '</td></tr>');
    });
    if (m.path_count > m.paths.length) {
      rows.push('<tr><td>… and ' + (m.path_count - m.paths.length) + ' more paths</td><td></td></tr>');
    }
    rows.push('<tr><th>sum of all ' + m.path_count + ' paths</th><th id="ms-path-sum">' + S.fmt(m.sum, 6) + '</th></tr>');
    rows.push('<tr><th>the engine\'s gradient</th><th id="ms-engine-grad">' + S.fmt(m.grad, 6) + '</th></tr>');
    el('ms-paths').innerHTML = rows.join('');
    var svg = S.showSvg(pz, m.svg, m.svg_missing, false);
    if (svg) {
      (m.highlight || []).forEach(function (id) { var g = svg.querySelector('#' + id); if (g) { g.classList.add('marked'); } });
    }
  }

  function escape(text) {
    var d = document.createElement('div'); d.textContent = text; return d.innerHTML;
  }

  function settings() {
    var out = {};
    ['dataset', 'activation', 'output_activation', 'loss', 'optimizer'].forEach(function (k) { out[k] = el('ms-' + k).value; });
    ['n', 'noise', 'seed', 'lr', 'batch_size'].forEach(function (k) {
      var v = el('ms-' + k).value.trim();
      out[k] = v === '' || !Number.isFinite(Number(v)) ? v : Number(v);
    });
    out.hidden = el('ms-hidden').value.split(/[\s,]+/).filter(Boolean).map(function (t) {
      return Number.isFinite(Number(t)) ? Number(t) : t;
    });
    return out;
  }

  function fillForm(s) {
    ['dataset', 'activation', 'output_activation', 'loss', 'optimizer', 'n', 'noise', 'seed', 'lr', 'batch_size']
      .forEach(function (k) { el('ms-' + k).value = s[k]; });
    el('ms-hidden').value = s.hidden.join(', ');
  }

  function speed() { return Number(el('ms-speed').value); }

  function init() {
    S.api('/api/limits').then(function (r) {
      Object.keys(r.choices).forEach(function (k) {
        var targets = k === 'activation' ? ['activation', 'output_activation'] : [k];
        targets.forEach(function (name) {
          var select = el('ms-' + name);
          if (!select) { return; }
          r.choices[k].forEach(function (c) { var o = document.createElement('option'); o.textContent = c; select.appendChild(o); });
        });
      });
      el('ms-speed').max = r.limits.max_epochs_per_second;
      connect();
    }, function (err) { S.showError('ms-error', err.message); });
  }

  var started = false;
  document.addEventListener('DOMContentLoaded', function () {
    network = new S.Network(el('ms-network'), function (t) { target = t; inspect(); });
    pz = PanZoom.attach(el('ms-graph'), {minFit: 0.7});
    el('ms-speed-text').textContent = speed() + ' epochs/s';
    el('ms-form').addEventListener('submit', function (e) {
      e.preventDefault(); S.showError('ms-error', ''); send({type: 'setup', settings: settings()});
    });
    el('ms-play').addEventListener('click', function () {
      S.showError('ms-error', '');
      send(playing ? {type: 'pause'} : {type: 'play', speed: speed()});
      if (playing) { setTimeout(inspect, 50); }
    });
    el('ms-step').addEventListener('click', function () { send({type: 'step'}); inspect(); });
    el('ms-reset').addEventListener('click', function () { S.showError('ms-error', ''); send({type: 'reset'}); });
    el('ms-speed').addEventListener('input', function () {
      el('ms-speed-text').textContent = speed() + ' epochs/s';
      if (playing) { send({type: 'play', speed: speed()}); }
    });
    el('ms-boundary').addEventListener('click', function (e) {
      if (!ready) { return; }
      point = S.nearest(this, e, ready.train, ready.window);
      drawBoundary();
      inspect();
    });
    document.addEventListener('room', function (e) {
      if (e.detail !== 'microscope') { return; }
      if (!started) { started = true; init(); }
      if (ready) { network.build(ready.layers); if (lastView) { network.update(lastView, ready.window); } }
    });
  });
})();
