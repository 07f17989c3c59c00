/* The chain-rule workbench: an expression, a slider per variable, the engine's graph with
 * values and gradients, both passes step by step, the nudge check and a quiz. */
(function () {
  'use strict';
  var S = window.Studio;
  var el = function (id) { return document.getElementById(id); };
  var pz = null, svg = null, reply = null, position = 0, values = {}, expression = null;
  var maxVector = 6;  // the server's limit, read from /api/limits
  var quiz = {pending: [], step: -1, right: 0, asked: 0};

  function total() { return reply && reply.forward ? reply.forward.length + reply.backward.length : 0; }

  function payload() {
    return {expression: el('wb-expression').value, values: Object.assign({}, values),  // as they are now
            h: Number(el('wb-h').value) || 0.001};
  }

  var send = S.Latest(function (body) { return S.api('/api/workbench', body); }, received, function (err) {
    S.showError('wb-error', err.message);
  });

  function received(r) {
    S.showError('wb-error', '');
    var same = expression === r.expression && reply && reply.forward && r.forward &&
               total() === r.forward.length + r.backward.length;
    var wasAt = position, wasEnd = position === total();
    reply = r; expression = r.expression;
    (r.variables || []).forEach(function (v) {  // a new variable's value; the others are the page's own, newer
      if (!(v.name in values)) { values[v.name] = S.num(v.value); }
    });
    variables(r);
    el('wb-value').textContent = r.output + ' = ' + S.fmt(r.value);
    if (r.message) {
      el('wb-text').textContent = r.message;
      pz.setContent(null); svg = null;
      el('wb-nudge').innerHTML = '';
      counter();
      return;
    }
    svg = S.showSvg(pz, r.svg, r.svg_missing, same);
    if (svg) { svg.id = 'wb-svg'; }
    problems(r.problems || []);
    nudge(r.nudge || []);
    if (!same) { quiz.pending = []; quiz.step = -1; }
    show(same && !wasEnd ? wasAt : total());
  }

  /* One row per variable: a number field, a slider per number and the gradient. The rows
   * are built again only when a variable comes or goes or its number of elements changes. */
  function variables(r) {
    var box = el('wb-variables');
    var shape = r.variables.map(function (v) {
      return v.name + (Array.isArray(v.value) ? '[' + v.value.length + ']' : '');
    }).join(' ');
    if (box.dataset.shape !== shape) {
      box.innerHTML = '';
      box.dataset.shape = shape;
      r.variables.forEach(function (v) { row(box, v.name, v.value); });
    }
    r.variables.forEach(function (v) {
      el('wb-grad-' + v.name).textContent = '∂' + r.output + '/∂' + v.name + ' = ' + S.fmt(v.grad);
    });
  }

  function row(box, name, value) {
    var div = document.createElement('div'), vector = Array.isArray(value);
    div.className = 'variable' + (vector ? ' vector' : '');
    var label = document.createElement('span');
    label.className = 'name'; label.textContent = name;
    var field = document.createElement('input');
    field.type = 'text'; field.id = 'wb-field-' + name; field.value = written(value);
    field.setAttribute('inputmode', 'decimal'); field.spellcheck = false;
    field.title = 'a number, or up to ' + maxVector + ' numbers separated by commas (a vector)';
    var sliders = (vector ? value : [value]).map(function (x, i) { return slider(name, vector ? i : null, x); });
    var grad = document.createElement('span');
    grad.className = 'grad'; grad.id = 'wb-grad-' + name;
    div.appendChild(label);
    if (vector) {
      div.appendChild(field);
      sliders.forEach(function (s, i) {
        var index = document.createElement('span');
        index.className = 'index'; index.textContent = '[' + i + ']';
        div.appendChild(index); div.appendChild(s);
      });
    } else {
      div.appendChild(sliders[0]); div.appendChild(field);
    }
    div.appendChild(grad);
    sliders.forEach(function (s) {
      s.addEventListener('input', function () {  // the row's sliders make the value
        values[name] = vector ? sliders.map(function (t) { return Number(t.value); }) : Number(s.value);
        field.value = written(values[name]); send(payload());
      });
    });
    field.addEventListener('change', function () {
      var read = numbers(field.value), x = read.value;
      if (read.error) {
        S.showError('wb-error', 'the value of ' + name + ' must be a number, or numbers separated by commas ' +
                    '(a vector, as in 1, 2, 3); ' + read.error);
        return;
      }
      if (Array.isArray(x) === vector && (!vector || x.length === sliders.length)) {
        (vector ? x : [x]).forEach(function (xi, i) { place(sliders[i], xi); });
      }  // else the reply brings rows of the new shape
      values[name] = x; send(payload());
    });
    box.appendChild(div);
  }

  function slider(name, index, x) {
    var s = document.createElement('input');
    s.type = 'range'; s.step = '0.01';
    s.id = 'wb-slider-' + name + (index === null ? '' : '-' + index);
    s.title = index === null ? name : name + '[' + index + ']';
    s.min = Math.floor(Math.min(-5, x - 5)); s.max = Math.ceil(Math.max(5, x + 5));
    s.value = x;
    return s;
  }

  function place(s, x) {
    if (x < Number(s.min)) { s.min = Math.floor(x - 1); }
    if (x > Number(s.max)) { s.max = Math.ceil(x + 1); }
    s.value = x;
  }

  /* A value as the number field shows it: "2", or "1, -2, 3" for a vector. */
  function written(value) {
    return Array.isArray(value) ? value.map(function (x) { return String(S.num(x)); }).join(', ')
                                : String(S.num(value));
  }

  /* The text of a number field or a quiz answer: a number, or several separated by commas
   * or spaces (brackets allowed) as a list: {value} or, when one is not a number, {error}.
   * How many numbers a vector may hold is the server's to say. */
  function numbers(text) {
    var parts = text.trim().replace(/^\[/, '').replace(/\]$/, '').split(/[\s,]+/).filter(function (p) {
      return p !== '';
    });
    var xs = parts.map(Number), bad = xs.findIndex(function (x) { return !Number.isFinite(x); });
    if (!parts.length) { return {error: 'got nothing'}; }
    if (bad >= 0) { return {error: 'got "' + parts[bad] + '"' + (parts.length > 1 ? ' at [' + bad + ']' : '')}; }
    return {value: xs.length === 1 ? xs[0] : xs};
  }

  function problems(list) {
    var box = el('wb-problems');
    box.innerHTML = '';
    list.forEach(function (p) {
      var li = document.createElement('li');
      li.textContent = (p.pass === 'forward' ? 'forward pass: ' : 'backward pass: ') + p.message;
      box.appendChild(li);
      var node = svg && svg.querySelector('#' + p.node);
      if (node) { node.classList.add('bad'); }
    });
    box.hidden = !list.length;
  }

  function nudge(list) {
    var rows = ['<tr><th>var</th><th>∂f/∂a·h</th><th>f(a+h)−f(a)</th></tr>'];
    list.forEach(function (n) {  // a vector's elements one by one: x[0], x[1], ...
      var key = n.index === null || n.index === undefined ? n.variable : n.variable + '-' + n.index;
      rows.push('<tr><td>' + n.name + '</td><td id="wb-predicted-' + key + '">' + S.fmt(n.predicted, 5) +
                '</td><td id="wb-actual-' + key + '">' + S.fmt(n.actual, 5) + '</td></tr>');
    });
    el('wb-nudge').innerHTML = rows.join('');
  }

  /* Position k of the timeline: 0 before the forward pass, 1..F forward steps, F+1..F+B
   * backward steps. The picture shows exactly what the text has told so far. */
  function show(k) {
    if (!reply || !reply.forward) { return; }
    var F = reply.forward.length, B = reply.backward.length;
    position = Math.max(0, Math.min(F + B, k));
    var shownValues = {}, grads = {}, hot = null, hotEdges = [], text;
    reply.forward.slice(0, Math.min(position, F)).forEach(function (s) { shownValues[s.node] = s.value; });
    var b = Math.max(0, position - F);
    reply.backward.slice(0, b).forEach(function (s, i) {
      Object.keys(s.updates).forEach(function (id) {
        var hidden = i === b - 1 && quiz.step === b && quiz.pending.some(function (q) { return q.to === id; });
        grads[id] = hidden ? {text: 'grad ?', state: 'partial'} : s.updates[id];
      });
    });
    if (position === 0) {
      text = 'Before the forward pass: nothing is computed yet. Next (or →) computes the nodes one by one.';
    } else if (position <= F) {
      var f = reply.forward[position - 1];
      hot = f.node;
      hotEdges = edgesInto(f.node);
      text = 'Forward pass, step ' + position + ' of ' + F + ':\n  ' + f.text;
    } else {
      var s = reply.backward[b - 1];
      hot = s.node; hotEdges = s.edges; text = s.text;
    }
    paint(shownValues, grads, hot, hotEdges);
    el('wb-text').textContent = text;
    counter();
    askQuiz();
  }

  function edgesInto(id) {
    var node = reply.nodes.filter(function (n) { return n.id === id; })[0];
    if (!node || !node.parents) { return []; }
    return node.parents.map(function (_, slot) { return id + 'e' + slot; }).concat(node.op ? [id + 'out'] : []);
  }

  function paint(shownValues, grads, hot, hotEdges) {
    if (!svg) { return; }
    svg.querySelectorAll('.hot').forEach(function (e) { e.classList.remove('hot'); });
    reply.nodes.forEach(function (n) {
      var g = svg.querySelector('#' + n.id);
      if (!g) { return; }
      var v = g.querySelector('text.value'), gr = g.querySelector('text.grad');
      if (v) {
        v.textContent = shownValues[n.id] || 'value —';
        v.classList.toggle('unknown', !shownValues[n.id]);
      }
      if (gr) {
        var known = grads[n.id];
        gr.textContent = known ? known.text : 'grad —';
        gr.classList.toggle('unknown', !known);
        gr.classList.toggle('partial', !!known && known.state === 'partial');
      }
    });
    if (hot) {
      [hot, hot + 'op'].forEach(function (id) { var g = svg.querySelector('#' + id); if (g) { g.classList.add('hot'); } });
    }
    hotEdges.forEach(function (id) { var e = svg.querySelector('#' + id); if (e) { e.classList.add('hot'); } });
  }

  function counter() {
    var F = reply && reply.forward ? reply.forward.length : 0, n = total();
    var where = position === 0 ? 'before the forward pass' : position <= F ? 'forward ' + position + '/' + F :
                'backward ' + (position - F) + '/' + (n - F);
    el('wb-counter').textContent = n ? 'step ' + position + ' of ' + n + ' (' + where + ')' : '';
    el('wb-prev').disabled = position === 0;
    el('wb-next').disabled = position >= n;
    el('wb-start').disabled = position === 0;
    el('wb-end').disabled = position >= n;
  }

  /* Quiz: entering a backward step, each gradient it hands on stays hidden ("grad ?")
   * until the student types it; a vector's as its numbers separated by commas, each checked. */
  function enterStep(k) {
    var F = reply.forward.length, b = k - F;
    quiz.pending = [];
    quiz.step = -1;
    if (el('wb-quiz').checked && b >= 1 && k === position + 1) {
      var step = reply.backward[b - 1];
      quiz.pending = step.handed.slice();
      quiz.step = b;
    }
    show(k);
  }

  function askQuiz() {
    var box = el('wb-quizbox'), F = reply ? reply.forward.length : 0;
    var active = quiz.pending.length && position - F === quiz.step;
    box.hidden = !active;
    if (!active) { return; }
    var step = reply.backward[quiz.step - 1], q = quiz.pending[0];
    var name = function (id) { return reply.nodes.filter(function (n) { return n.id === id; })[0].name; };
    el('wb-quiz-question').textContent = 'What gradient does ' + name(step.node) + ' hand to ' + name(q.to) +
        '? (∂' + reply.output + '/∂' + name(step.node) + ' = ' + S.fmt(step.upstream) + ')' +
        (Array.isArray(q.grad) ? ' A vector of ' + q.grad.length + ' numbers: type them separated by commas.' : '');
    el('wb-quiz-answer').value = '';
    el('wb-quiz-feedback').textContent = '';
    el('wb-quiz-score').textContent = quiz.right + ' right of ' + quiz.asked;
    el('wb-quiz-answer').focus();
  }

  function checkQuiz(reveal) {
    var q = quiz.pending[0];
    if (!q) { return; }
    var want = S.num(q.grad), got = numbers(el('wb-quiz-answer').value).value;
    var right = !reveal && close(got, want);
    var feedback = el('wb-quiz-feedback');
    if (!reveal && !right) {
      feedback.className = 'wrong';
      feedback.textContent = 'Not quite: upstream × the local derivative (' + (reply.backward[quiz.step - 1].text
        .split('\n').filter(function (l) { return l.indexOf('rule') >= 0; })[0] || '').trim() + ')';
      return;
    }
    quiz.asked += 1;
    if (right) { quiz.right += 1; }
    quiz.pending.shift();
    show(position);
    if (!quiz.pending.length) {
      el('wb-quizbox').hidden = false;
      feedback.className = right ? 'right' : '';
      feedback.textContent = right ? 'Right: ' + S.fmt(want) : 'It is ' + S.fmt(want);
      el('wb-quiz-question').textContent = 'Step done.';
      el('wb-quiz-score').textContent = quiz.right + ' right of ' + quiz.asked;
    }
  }

  /* The answer has as many numbers as the gradient, each within 0.1% of it. */
  function close(got, want) {
    var g = [].concat(got === undefined ? [] : got), w = [].concat(want).map(S.num);
    return g.length === w.length && w.every(function (x, i) {
      return Math.abs(g[i] - x) <= 1e-3 * Math.max(1e-3, Math.abs(x));
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    pz = PanZoom.attach(el('wb-graph'), {minFit: 0.5});
    el('wb-form').addEventListener('submit', function (e) { e.preventDefault(); send(payload()); });
    el('wb-examples').addEventListener('change', function () {
      var chosen = this.options[this.selectedIndex];
      if (!this.value) { return; }
      el('wb-expression').value = this.value; this.value = '';
      if (chosen.dataset.values) { Object.assign(values, JSON.parse(chosen.dataset.values)); }
      send(payload());
    });
    S.api('/api/limits').then(function (r) {
      maxVector = r.limits.max_vector;
      el('wb-max-vector').textContent = maxVector;
    }, function () { /* the workbench's own request says when the server is gone */ });
    el('wb-h').addEventListener('change', function () { send(payload()); });
    el('wb-start').addEventListener('click', function () { show(0); });
    el('wb-end').addEventListener('click', function () { quiz.pending = []; show(total()); });
    el('wb-prev').addEventListener('click', function () { quiz.pending = []; show(position - 1); });
    el('wb-next').addEventListener('click', function () { enterStep(position + 1); });
    el('wb-quiz-check').addEventListener('click', function () { checkQuiz(false); });
    el('wb-quiz-reveal').addEventListener('click', function () { checkQuiz(true); });
    el('wb-quiz-answer').addEventListener('keydown', function (e) {
      if (e.key === 'Enter') { e.preventDefault(); checkQuiz(false); }
    });
    document.addEventListener('keydown', function (e) {
      if (el('workbench').hidden || /INPUT|SELECT|TEXTAREA/.test(document.activeElement.tagName)) { return; }
      if (document.activeElement.classList.contains('pz-box')) { return; }
      if (e.key === 'ArrowRight') { enterStep(position + 1); }
      if (e.key === 'ArrowLeft') { quiz.pending = []; show(position - 1); }
    });
    document.addEventListener('room', function (e) { if (e.detail === 'workbench' && pz) { pz.fit(); } });
    send(payload());
  });
})();
