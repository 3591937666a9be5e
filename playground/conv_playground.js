/* Convolution playground of the CNN course: plain JavaScript, no dependency, no network.
 *
 * CNNPlayground.mount(root) wires one widget; its configuration (images, kernels, PyTorch's
 * reference outputs) is the JSON in its <script class="cnnpg-data">. The arithmetic is
 * PyTorch's: pad with the chosen mode (F.pad), then cross-correlate (F.conv2d).
 * Several widgets on one page share this code and nothing else.
 */
(function () {
  "use strict";
  var VERSION = 1;
  if (window.CNNPlayground && window.CNNPlayground.version >= VERSION) {
    return;
  }
  var KERNEL_SIZE = 3;
  var MAX_OWN_SIDE = 48; // the reader's image is shrunk to at most 48 pixels a side
  var CANVAS_SIDE = 300; // the largest canvas side in CSS pixels

  // ---------------------------------------------------------------- arithmetic (pure)

  /** A weight typed as "0.5", "-2", "1/9" or with a typographic minus; NaN if not a number. */
  function parseWeight(text) {
    var t = String(text).trim().replace(/\u2212/g, "-");
    var number = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
    var parts = t.split("/");
    if (parts.length === 2 && number.test(parts[0].trim()) && number.test(parts[1].trim())) {
      return Number(parts[0].trim()) / Number(parts[1].trim());
    }
    return number.test(t) ? Number(t) : NaN;
  }

  /** Where padded index i reads from an input axis of length n (-1: a zero), as F.pad does. */
  function sourceIndex(i, n, mode) {
    if (i >= 0 && i < n) return i;
    if (mode === "zeros") return -1;
    if (mode === "reflect") return i < 0 ? -i : 2 * (n - 1) - i; // mirror, border not repeated
    if (mode === "replicate") return i < 0 ? 0 : n - 1;
    return ((i % n) + n) % n; // circular: wrap around
  }

  /** The output-size arithmetic along one axis. */
  function axisSize(n, p, s, d) {
    var span = d * (KERNEL_SIZE - 1) + 1; // the pixels a dilated kernel covers
    var room = n + 2 * p - span;
    return {
      n: n, p: p, s: s, d: d, span: span, room: room,
      size: room < 0 ? 0 : Math.floor(room / s) + 1,
      exact: room / s + 1,
      remainder: room < 0 ? 0 : room % s,
    };
  }

  /** Cross-correlation of an h×w image (row-major) with a 3×3 kernel, as F.pad + F.conv2d. */
  function convolve(pixels, h, w, weights, p, mode, s, d) {
    var rows = axisSize(h, p, s, d), cols = axisSize(w, p, s, d);
    var values = new Float64Array(rows.size * cols.size);
    for (var i = 0; i < rows.size; i++) {
      for (var j = 0; j < cols.size; j++) {
        var sum = 0;
        for (var a = 0; a < KERNEL_SIZE; a++) {
          var r = sourceIndex(i * s + a * d - p, h, mode);
          for (var b = 0; b < KERNEL_SIZE; b++) {
            var c = sourceIndex(j * s + b * d - p, w, mode);
            if (r >= 0 && c >= 0) sum += pixels[r * w + c] * weights[a * KERNEL_SIZE + b];
          }
        }
        values[i * cols.size + j] = sum;
      }
    }
    return { height: rows.size, width: cols.size, values: values };
  }

  /** A number as the widget shows it: whole numbers plain, others to 4 decimals, "−" for minus. */
  function format(value) {
    var rounded = Math.round(value * 1e4) / 1e4;
    if (Object.is(rounded, -0) || rounded === 0) return "0";
    var text = Number.isInteger(rounded) ? String(rounded) : rounded.toFixed(4).replace(/0+$/, "");
    return text.replace("-", "\u2212");
  }

  function trimZeros(text) {
    return text.indexOf(".") < 0 ? text : text.replace(/0+$/, "").replace(/\.$/, "");
  }

  /** A number in at most maxChars characters (at least 5) for a cell of the map: fewer
   * decimals first, then k/M/G, then an exponent. The minus sign is always kept; the table and
   * the read-out line show the full number. */
  function cellText(value, maxChars) {
    var full = format(value);
    if (full.length <= maxChars) return full;
    var sign = value < 0 ? "\u2212" : "", size = Math.abs(value), text, digits;
    for (digits = 3; digits >= 0; digits--) {
      text = trimZeros(size.toFixed(digits));
      if (Number(text) === 0) break; // rounding further would show 0
      if ((sign + text).length <= maxChars) return sign + text;
    }
    var units = [[1e3, "k"], [1e6, "M"], [1e9, "G"]];
    for (var u = 0; u < units.length; u++) {
      if (size < units[u][0] * 0.9995) continue;
      for (digits = 2; digits >= 0; digits--) {
        text = trimZeros((size / units[u][0]).toFixed(digits)) + units[u][1];
        if ((sign + text).length <= maxChars) return sign + text;
      }
    }
    for (digits = 2; digits > 0; digits--) {
      text = size.toExponential(digits).replace("e+", "e").replace(/\.?0+e/, "e");
      if ((sign + text).length <= maxChars) return sign + text;
    }
    return sign + size.toExponential(0).replace("e+", "e");
  }

  /** A size as the widget writes it everywhere: rows × columns, as PyTorch's H × W. */
  function sizeText(height, width) {
    return height + "\u00d7" + width + " (rows\u00d7columns)";
  }

  /** Which indices 0 .. n + 2p - 1 of a padded axis some window reads (a 3-tap kernel with
   * stride s and dilation d): false for rows or columns the output never looks at, at the end
   * when the stride does not fit, between windows when s > span, between taps when d > 1. */
  function readMask(n, p, s, d) {
    var axis = axisSize(n, p, s, d), read = [];
    for (var k = 0; k < n + 2 * p; k++) read.push(false);
    for (var t = 0; t < axis.size; t++) {
      for (var a = 0; a < KERNEL_SIZE; a++) read[t * s + a * d] = true;
    }
    return read;
  }

  function plain(value) {
    // short form for formulas: 2.33 rather than 2.3333
    var rounded = Math.round(value * 100) / 100;
    return String(rounded).replace("-", "\u2212");
  }

  // ---------------------------------------------------------------- checks in words

  function either(values) { // [1, 2, 4] -> "1, 2 or 4"
    return values.length < 2 ? String(values[0]) :
      values.slice(0, -1).join(", ") + " or " + values[values.length - 1];
  }

  /** Problems that leave no output (error) and settings that do not fit evenly (warning). */
  function diagnose(state, h, w) {
    var messages = [];
    var kind = "ok";
    var p = state.padding, s = state.stride, d = state.dilation, limits = state.limits;
    var integer = function (name, value) {
      var range = limits[name];
      if (!Number.isInteger(value) || value < range[0] || value > range[1]) {
        messages.push(name.charAt(0).toUpperCase() + name.slice(1) + " must be a whole number from " +
          range[0] + " to " + range[1] + ".");
        kind = "error";
      }
    };
    integer("padding", p);
    integer("stride", s);
    integer("dilation", d);
    var bad = state.weights.map(function (x, k) { return isNaN(x) ? k : -1; }).filter(function (k) { return k >= 0; });
    if (bad.length) {
      messages.push("Weight " + bad.map(function (k) {
        return "(row " + (Math.floor(k / 3) + 1) + ", column " + (k % 3 + 1) + ")";
      }).join(", ") + " is not a number: type a decimal such as -0.5 or a fraction such as 1/9.");
      kind = "error";
    }
    if (kind === "error") return { kind: kind, messages: messages, rows: null, cols: null };
    var smaller = Math.min(h, w);
    if (state.mode === "reflect" && p >= smaller) {
      messages.push("Reflect padding mirrors the image without repeating its border pixel, so the " +
        "padding must be smaller than the image side: p = " + p + " is not less than " + smaller +
        ". PyTorch raises an error here. Use p \u2264 " + (smaller - 1) + " or another padding mode.");
      kind = "error";
    }
    if (state.mode === "circular" && p > smaller) {
      messages.push("Circular padding wraps the image around at most once, so p can be at most the " +
        "image side (" + smaller + "); p = " + p + " would wrap twice. PyTorch raises an error here.");
      kind = "error";
    }
    var rows = axisSize(h, p, s, d), cols = axisSize(w, p, s, d);
    [["height", rows], ["width", cols]].forEach(function (pair) {
      var axis = pair[1];
      if (axis.room < 0) {
        messages.push("The kernel covers F = d\u00b7(k \u2212 1) + 1 = " + axis.span + " pixels, but the padded " +
          pair[0] + " is only n + 2p = " + (axis.n + 2 * p) + ": no window fits, so there is no output. " +
          "Lower the dilation or add padding.");
        kind = "error";
      }
    });
    if (kind === "error") return { kind: kind, messages: messages, rows: rows, cols: cols };
    var square = h === w;
    [["rows", rows], ["columns", cols]].forEach(function (pair) {
      var axis = pair[1], what = square ? "rows and columns" : pair[0];
      if (axis.remainder === 0 || (square && pair[0] === "columns")) return;
      var starts = [];
      for (var t = 0; t < Math.min(axis.size, 4); t++) starts.push(t * s);
      var next = axis.size * s;
      var last = axis.remainder === 1 ? "the last " + what.replace(/s( |$)/g, "$1") :
        "the last " + axis.remainder + " " + what;
      messages.push("Stride " + s + " does not fit: (" + axis.n + " + 2\u00b7" + p + " \u2212 " + axis.span +
        ") / " + s + " + 1 = " + plain(axis.exact) + " is not a whole number. Windows start at " +
        what + " " + starts.join(", ") + (axis.size > 4 ? ", \u2026" : "") + " of the padded input; " +
        "the next would start at " + next + " and need " + what + " up to " + (next + axis.span - 1) +
        ", but the padded input ends at " + (axis.n + 2 * p - 1) + ". The lecture's rule calls this " +
        "setting invalid. PyTorch accepts it: it rounds down to " + axis.size + " and never looks at " +
        last + ".");
      kind = "warning";
    });
    if (kind === "warning") {
      var strides = [], paddings = [];
      for (var t = limits.stride[0]; t <= limits.stride[1]; t++) {
        if (axisSize(h, p, t, d).remainder === 0 && axisSize(w, p, t, d).remainder === 0) strides.push(t);
      }
      for (var q = limits.padding[0]; q <= limits.padding[1]; q++) {
        var okMode = !(state.mode === "reflect" && q >= smaller) && !(state.mode === "circular" && q > smaller);
        var a = axisSize(h, q, s, d), b = axisSize(w, q, s, d);
        if (okMode && a.room >= 0 && b.room >= 0 && a.remainder === 0 && b.remainder === 0) paddings.push(q);
      }
      var hints = [];
      if (strides.length) hints.push("stride " + either(strides));
      if (paddings.length) hints.push("padding " + either(paddings) + " (with stride " + s + ")");
      if (hints.length) messages.push("Settings that fit: " + hints.join("; ") + ".");
    }
    return { kind: kind, messages: messages, rows: rows, cols: cols };
  }

  function formulaText(state, h, w, rows, cols) {
    var line = function (name, axis) {
      var head = "Output " + name + ": o = \u230a(n + 2p \u2212 F) / s\u230b + 1, with F = d\u00b7(k \u2212 1) + 1 = " +
        axis.d + "\u00b7(3 \u2212 1) + 1 = " + axis.span + "\n";
      var body = "  (" + axis.n + " + 2\u00b7" + axis.p + " \u2212 " + axis.span + ") / " + axis.s + " + 1 = " +
        axis.room + " / " + axis.s + " + 1 = " + plain(axis.exact);
      if (axis.room < 0) return head + body + "  \u2192 no window fits";
      if (axis.remainder !== 0) return head + body + "  \u2192 not a whole number (PyTorch rounds down: " + axis.size + ")";
      return head + body;
    };
    if (!rows) return "";
    if (h === w) return line("height and width", rows);
    return line("height", rows) + "\n" + line("width", cols);
  }

  // ---------------------------------------------------------------- drawing

  function cssVar(root, name, fallback) {
    var value = getComputedStyle(root).getPropertyValue(name).trim();
    return value || fallback;
  }

  function greyOf(value, low, high) {
    var t = high > low ? (value - low) / (high - low) : 0.5;
    return Math.round(255 * Math.min(1, Math.max(0, t)));
  }

  function divergingOf(value, limit) {
    // blue (negative) - white (zero) - red (positive), symmetric limits
    var t = limit > 0 ? Math.max(-1, Math.min(1, value / limit)) : 0;
    var blue = [33, 102, 172], red = [178, 24, 43];
    var end = t < 0 ? blue : red, f = Math.abs(t);
    return [0, 1, 2].map(function (k) { return Math.round(255 + (end[k] - 255) * f); });
  }

  function setupCanvas(canvas, cols, rows) {
    var cell = Math.max(3, Math.min(44, Math.floor(CANVAS_SIDE / Math.max(cols, rows, 1))));
    var ratio = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(cols * cell * ratio));
    canvas.height = Math.max(1, Math.round(rows * cell * ratio));
    canvas.style.width = cols * cell + "px";
    canvas.style.height = rows * cell + "px";
    var context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    return { context: context, cell: cell };
  }

  function gridLines(context, cols, rows, cell) {
    context.strokeStyle = "rgba(128, 128, 128, 0.55)";
    context.lineWidth = 1;
    for (var x = 0; x <= cols; x++) {
      context.beginPath();
      context.moveTo(Math.min(x * cell + 0.5, cols * cell - 0.5), 0);
      context.lineTo(Math.min(x * cell + 0.5, cols * cell - 0.5), rows * cell);
      context.stroke();
    }
    for (var y = 0; y <= rows; y++) {
      context.beginPath();
      context.moveTo(0, Math.min(y * cell + 0.5, rows * cell - 0.5));
      context.lineTo(cols * cell, Math.min(y * cell + 0.5, rows * cell - 0.5));
      context.stroke();
    }
  }

  /** A number centred in its cell: shortened (cellText) and shrunk until it fits the cell,
   * and clipped to it, so it never runs into a neighbour or loses its minus sign. */
  function drawNumber(context, value, x, y, cell, background) {
    var room = cell - 6, base = Math.floor(cell * 0.36), readable = Math.max(9, Math.floor(cell * 0.26));
    var text, size;
    for (var chars = 8; chars >= 5; chars--) {
      text = cellText(value, chars);
      size = base;
      context.font = size + "px sans-serif";
      var width = context.measureText(text).width;
      if (width > room) size = Math.floor(size * room / width);
      if (size >= readable) break;
    }
    context.save();
    context.beginPath();
    context.rect(x, y, cell, cell);
    context.clip();
    context.fillStyle = background > 140 ? "#111" : "#f4f4f4";
    context.font = Math.max(7, size) + "px sans-serif";
    context.textAlign = "center";
    context.textBaseline = "middle";
    context.fillText(text, x + cell / 2, y + cell / 2 + 0.5);
    context.restore();
  }

  /** The selected cell's outline: a black ring on the cell border and a white ring inside it,
   * so one of the two stands out on every colour of the map (red, blue, white, grey). */
  function selectionRing(context, x, y, cell) {
    context.lineWidth = 3;
    context.strokeStyle = "#000";
    context.strokeRect(x, y, cell, cell);
    context.lineWidth = 2;
    context.strokeStyle = "#fff";
    context.strokeRect(x + 2.5, y + 2.5, cell - 5, cell - 5);
  }

  // ---------------------------------------------------------------- one widget

  /** The widget to wire: the one around the running script, else the last unwired one with
   * that id (a notebook can still show an older output with the same id). */
  function findRoot(id) {
    var script = document.currentScript;
    var around = script && script.closest ? script.closest(".cnnpg") : null;
    if (around && around.id === id && around.dataset.ready !== "true") return around;
    var all = Array.prototype.filter.call(document.querySelectorAll(".cnnpg"), function (el) {
      return el.id === id && el.dataset.ready !== "true";
    });
    return all.length ? all[all.length - 1] : null;
  }

  function mount(target) {
    var root = typeof target === "string" ? findRoot(target) : target;
    if (!root || root.dataset.ready === "true") return;
    var config = JSON.parse(root.querySelector("script.cnnpg-data").textContent);
    var $ = function (selector) { return root.querySelector(selector); };
    var controls = {
      input: $("select[name=input]"), file: $("input[name=file]"), kernel: $("select[name=kernel]"),
      mode: $("select[name=padding_mode]"), padding: $("input[name=padding]"),
      stride: $("input[name=stride]"), dilation: $("input[name=dilation]"), play: $("button.cnnpg-play"),
    };
    var inputCanvas = $("canvas.cnnpg-input-canvas"), outputCanvas = $("canvas.cnnpg-output-canvas");
    var inputs = {};
    Object.keys(config.inputs).forEach(function (name) {
      var item = config.inputs[name];
      inputs[name] = {
        label: item.label, height: item.pixels.length, width: item.pixels[0].length,
        pixels: Float64Array.from([].concat.apply([], item.pixels)),
      };
    });
    var order = ["x5", "lecture7", "camera", "fashion"].filter(function (n) { return n in inputs; });
    order.forEach(function (name) { controls.input.add(new Option(inputs[name].label, name)); });
    Object.keys(config.kernels).forEach(function (name) {
      controls.kernel.add(new Option(config.kernels[name].label, name));
    });
    controls.kernel.add(new Option("custom (your nine weights)", "custom"));
    config.modes.forEach(function (mode) { controls.mode.add(new Option(mode, mode)); });
    ["padding", "stride", "dilation"].forEach(function (name) {
      controls[name].min = config.limits[name][0];
      controls[name].max = config.limits[name][1];
    });
    var weightFields = [];
    var grid = $(".cnnpg-weights");
    for (var k = 0; k < 9; k++) {
      var field = document.createElement("input");
      field.type = "text";
      field.inputMode = "decimal";
      field.setAttribute("aria-label", "weight, row " + (Math.floor(k / 3) + 1) + ", column " + (k % 3 + 1));
      field.autocomplete = "off";
      field.spellcheck = false;
      grid.appendChild(field);
      weightFields.push(field);
    }

    var initial = config.initial;
    controls.input.value = initial.input;
    controls.kernel.value = initial.kernel;
    initial.weights.forEach(function (text, k) { weightFields[k].value = text; });
    controls.mode.value = initial.padding_mode;
    controls.padding.value = initial.padding;
    controls.stride.value = initial.stride;
    controls.dilation.value = initial.dilation;

    var selected = { i: 0, j: 0 }, result = null, timer = null, lastState = null;

    function readState() {
      var number = function (field) { return field.value.trim() === "" ? NaN : Number(field.value); };
      return {
        input: controls.input.value, kernel: controls.kernel.value,
        weights: weightFields.map(function (f) { return parseWeight(f.value); }),
        mode: controls.mode.value, padding: number(controls.padding),
        stride: number(controls.stride), dilation: number(controls.dilation), limits: config.limits,
      };
    }

    function render() {
      var state = readState();
      lastState = state;
      var image = inputs[state.input];
      weightFields.forEach(function (f, k) { f.setAttribute("aria-invalid", String(isNaN(state.weights[k]))); });
      var verdict = diagnose(state, image.height, image.width);
      var status = $(".cnnpg-status");
      status.dataset.kind = verdict.kind;
      result = verdict.kind === "error" ? null :
        convolve(image.pixels, image.height, image.width, state.weights, state.padding, state.mode,
          state.stride, state.dilation);
      if (result) {
        selected.i = Math.min(selected.i, result.height - 1);
        selected.j = Math.min(selected.j, result.width - 1);
        status.textContent = (verdict.kind === "ok" ? "Output " + result.height + "\u00d7" + result.width + "." :
          verdict.messages.join(" ") + " Shown: PyTorch's " + result.height + "\u00d7" + result.width + " output.");
      } else {
        status.textContent = verdict.messages.join(" ");
      }
      $(".cnnpg-formula").textContent = formulaText(state, image.height, image.width, verdict.rows, verdict.cols);
      root.dataset.valid = String(verdict.kind === "ok");
      root.dataset.status = verdict.kind;
      root.dataset.shape = result ? result.height + "x" + result.width : "none";
      drawInput(state, image);
      drawOutput();
      fillTable();
      describe(state, image);
      root.dataset.settings = JSON.stringify({
        input: state.input, kernel: state.kernel, weights: state.weights.map(function (x) { return isNaN(x) ? null : x; }),
        padding: state.padding, padding_mode: state.mode, stride: state.stride, dilation: state.dilation,
      });
      root.dataset.ready = "true";
    }

    function padded(state, image) {
      var p = Number.isInteger(state.padding) && state.padding >= 0 ? state.padding : 0;
      var usable = !(state.mode === "reflect" && p >= Math.min(image.height, image.width)) &&
        !(state.mode === "circular" && p > Math.min(image.height, image.width));
      if (!usable) p = 0;
      return { p: p, height: image.height + 2 * p, width: image.width + 2 * p, value: function (r, c) {
        var rr = sourceIndex(r - p, image.height, state.mode), cc = sourceIndex(c - p, image.width, state.mode);
        return rr < 0 || cc < 0 ? 0 : image.pixels[rr * image.width + cc];
      } };
    }

    function drawInput(state, image) {
      var pad = padded(state, image);
      var canvas = setupCanvas(inputCanvas, pad.width, pad.height), context = canvas.context, cell = canvas.cell;
      var low = Infinity, high = -Infinity;
      image.pixels.forEach(function (v) { low = Math.min(low, v); high = Math.max(high, v); });
      var accent = cssVar(root, "--cnnpg-accent", "#d0213a");
      var numbers = cell >= 22;
      for (var r = 0; r < pad.height; r++) {
        for (var c = 0; c < pad.width; c++) {
          var v = pad.value(r, c), g = greyOf(v, low, high);
          context.fillStyle = "rgb(" + g + "," + g + "," + g + ")";
          context.fillRect(c * cell, r * cell, cell, cell);
          var outside = r < pad.p || c < pad.p || r >= pad.p + image.height || c >= pad.p + image.width;
          if (outside) { // padding: tinted and hatched, so it never looks like the image itself
            context.fillStyle = "rgba(80, 140, 220, 0.35)";
            context.fillRect(c * cell, r * cell, cell, cell);
          }
          if (numbers) drawNumber(context, v, c * cell, r * cell, cell, g);
        }
      }
      if (cell >= 10) gridLines(context, pad.width, pad.height, cell);
      if (pad.p > 0) {
        context.setLineDash([4, 3]);
        context.strokeStyle = "rgb(40, 110, 210)";
        context.lineWidth = 2;
        context.strokeRect(pad.p * cell, pad.p * cell, image.width * cell, image.height * cell);
        context.setLineDash([]);
      }
      var unused = 0;
      if (result) { // pixels that no window reads (stride too large or uneven, dilation gaps)
        var rowsRead = readMask(image.height, pad.p, state.stride, state.dilation);
        var colsRead = readMask(image.width, pad.p, state.stride, state.dilation);
        context.strokeStyle = "rgba(255, 140, 0, 0.95)";
        context.lineWidth = 2;
        for (var hr = 0; hr < pad.height; hr++) {
          for (var hc = 0; hc < pad.width; hc++) {
            if (!rowsRead[hr] || !colsRead[hc]) {
              unused++;
              context.beginPath();
              context.moveTo(hc * cell, (hr + 1) * cell);
              context.lineTo((hc + 1) * cell, hr * cell);
              context.stroke();
            }
          }
        }
      }
      if (result) {
        var s = state.stride, d = state.dilation, top = selected.i * s, left = selected.j * s;
        context.strokeStyle = accent;
        context.lineWidth = Math.max(2, cell / 8);
        context.strokeRect(left * cell, top * cell, (2 * d + 1) * cell, (2 * d + 1) * cell);
        for (var a = 0; a < 3; a++) {
          for (var b = 0; b < 3; b++) {
            context.fillStyle = "rgba(208, 33, 58, 0.28)";
            context.fillRect((left + b * d) * cell, (top + a * d) * cell, cell, cell);
            context.strokeRect((left + b * d) * cell + 1, (top + a * d) * cell + 1, cell - 2, cell - 2);
          }
        }
      }
      $(".cnnpg-input-caption").textContent = "Input " + sizeText(image.height, image.width) +
        (pad.p ? ", padded to " + pad.height + "\u00d7" + pad.width + " (" + state.mode + ", tinted)" : "") +
        (result ? "; window of output [" + selected.i + ", " + selected.j + "] in red" : "") +
        (unused ? "; hatched: pixels no window reads" : "");
    }

    function drawOutput() {
      if (!result) {
        var empty = setupCanvas(outputCanvas, 1, 1);
        empty.context.clearRect(0, 0, outputCanvas.width, outputCanvas.height);
        outputCanvas.style.width = outputCanvas.style.height = "0px";
        $(".cnnpg-output-caption").textContent = "No output for these settings.";
        return;
      }
      var canvas = setupCanvas(outputCanvas, result.width, result.height), context = canvas.context, cell = canvas.cell;
      var low = Infinity, high = -Infinity;
      result.values.forEach(function (v) { low = Math.min(low, v); high = Math.max(high, v); });
      var signed = low < 0, limit = Math.max(Math.abs(low), Math.abs(high));
      var numbers = cell >= 26;
      for (var i = 0; i < result.height; i++) {
        for (var j = 0; j < result.width; j++) {
          var v = result.values[i * result.width + j], rgb, g;
          if (signed) { rgb = divergingOf(v, limit); g = (rgb[0] + rgb[1] + rgb[2]) / 3; } else { g = greyOf(v, low, high); rgb = [g, g, g]; }
          context.fillStyle = "rgb(" + rgb.join(",") + ")";
          context.fillRect(j * cell, i * cell, cell, cell);
          if (numbers) drawNumber(context, v, j * cell, i * cell, cell, g);
        }
      }
      if (cell >= 10) gridLines(context, result.width, result.height, cell);
      selectionRing(context, selected.j * cell, selected.i * cell, cell);
      $(".cnnpg-output-caption").textContent = "Output " + sizeText(result.height, result.width) +
        (signed ? " (red positive, blue negative, white 0)" : " (dark low, light high)");
    }

    function fillTable() {
      var table = $("table.cnnpg-table");
      var html = [];
      var note = $(".cnnpg-table-note");
      if (!result) {
        table.innerHTML = "<caption>No output for these settings.</caption>";
        note.textContent = "No output for these settings.";
        return;
      }
      note.textContent = "Output values: row i (down), column j (across); the red cell is the window shown above.";
      html.push("<caption>Output values, row i (down) and column j (across)</caption><thead><tr><th scope=\"col\">i \\ j</th>");
      for (var j = 0; j < result.width; j++) html.push("<th scope=\"col\">" + j + "</th>");
      html.push("</tr></thead><tbody>");
      for (var i = 0; i < result.height; i++) {
        html.push("<tr><th scope=\"row\">" + i + "</th>");
        for (var c = 0; c < result.width; c++) {
          var mark = i === selected.i && c === selected.j ? " class=\"cnnpg-selected\"" : "";
          html.push("<td" + mark + ">" + format(result.values[i * result.width + c]) + "</td>");
        }
        html.push("</tr>");
      }
      html.push("</tbody>");
      table.innerHTML = html.join("");
    }

    function describe(state, image) {
      var readout = $(".cnnpg-readout");
      if (!result) { readout.textContent = ""; return; }
      var pad = padded(state, image), terms = [];
      for (var a = 0; a < 3; a++) {
        for (var b = 0; b < 3; b++) {
          var v = pad.value(selected.i * state.stride + a * state.dilation, selected.j * state.stride + b * state.dilation);
          terms.push(format(v) + "\u00b7" + (state.weights[a * 3 + b] < 0 ? "(" + format(state.weights[a * 3 + b]) + ")" : format(state.weights[a * 3 + b])));
        }
      }
      var value = result.values[selected.i * result.width + selected.j];
      readout.textContent = "output[" + selected.i + ", " + selected.j + "] = " + terms.join(" + ") + " = " + format(value);
      readout.dataset.value = String(value);
      readout.dataset.row = selected.i;
      readout.dataset.column = selected.j;
    }

    function select(i, j) {
      if (!result) return;
      selected.i = Math.max(0, Math.min(result.height - 1, i));
      selected.j = Math.max(0, Math.min(result.width - 1, j));
      var state = lastState, image = inputs[state.input];
      drawInput(state, image);
      drawOutput();
      describe(state, image);
      var old = root.querySelector("td.cnnpg-selected");
      if (old) old.classList.remove("cnnpg-selected");
      var rows = root.querySelectorAll("table.cnnpg-table tbody tr");
      if (rows[selected.i]) rows[selected.i].querySelectorAll("td")[selected.j].classList.add("cnnpg-selected");
    }

    function stop() {
      if (timer) { clearInterval(timer); timer = null; }
      controls.play.setAttribute("aria-pressed", "false");
      controls.play.textContent = "Slide the window";
    }

    function changed() { stop(); render(); }

    controls.input.addEventListener("change", function () { selected = { i: 0, j: 0 }; changed(); });
    controls.kernel.addEventListener("change", function () {
      var preset = config.kernels[controls.kernel.value];
      if (preset) preset.weights.forEach(function (text, k) { weightFields[k].value = text; });
      changed();
    });
    weightFields.forEach(function (field) {
      field.addEventListener("input", function () {
        var matches = Object.keys(config.kernels).filter(function (name) {
          return config.kernels[name].weights.every(function (text, k) { return parseWeight(text) === parseWeight(weightFields[k].value); });
        });
        controls.kernel.value = matches.length ? matches[0] : "custom";
        changed();
      });
    });
    [controls.mode, controls.padding, controls.stride, controls.dilation].forEach(function (control) {
      control.addEventListener("input", changed);
      control.addEventListener("change", changed);
    });
    controls.file.addEventListener("change", function () {
      var file = controls.file.files && controls.file.files[0];
      if (!file) return;
      var reader = new FileReader();
      reader.onerror = function () { $(".cnnpg-status").textContent = "Could not read that file."; };
      reader.onload = function () {
        var picture = new Image();
        picture.onerror = function () {
          $(".cnnpg-status").dataset.kind = "error";
          $(".cnnpg-status").textContent = "That file is not an image the browser can open.";
        };
        picture.onload = function () {
          var scale = Math.min(1, MAX_OWN_SIDE / Math.max(picture.naturalWidth, picture.naturalHeight));
          var w = Math.max(1, Math.round(picture.naturalWidth * scale)), h = Math.max(1, Math.round(picture.naturalHeight * scale));
          var scratch = document.createElement("canvas");
          scratch.width = w;
          scratch.height = h;
          var context = scratch.getContext("2d");
          context.fillStyle = "#fff"; // transparent pixels count as white
          context.fillRect(0, 0, w, h);
          context.drawImage(picture, 0, 0, w, h);
          var rgba = context.getImageData(0, 0, w, h).data, grey = new Float64Array(w * h);
          for (var k = 0; k < w * h; k++) { // luminance weights of skimage.color.rgb2gray (Rec. 709)
            grey[k] = Math.round(0.2125 * rgba[4 * k] + 0.7154 * rgba[4 * k + 1] + 0.0721 * rgba[4 * k + 2]);
          }
          inputs.own = { label: "your image, grey, " + sizeText(h, w), height: h, width: w, pixels: grey };
          var option = Array.prototype.find.call(controls.input.options, function (o) { return o.value === "own"; });
          if (!option) { option = new Option("", "own"); controls.input.add(option); }
          option.textContent = inputs.own.label;
          controls.input.value = "own";
          selected = { i: 0, j: 0 };
          changed();
        };
        picture.src = reader.result;
      };
      reader.readAsDataURL(file);
    });
    controls.play.addEventListener("click", function () {
      if (timer) { stop(); return; }
      if (!result) return;
      controls.play.setAttribute("aria-pressed", "true");
      controls.play.textContent = "Stop";
      timer = setInterval(function () {
        if (!result) { stop(); return; }
        var j = selected.j + 1, i = selected.i;
        if (j >= result.width) { j = 0; i = (i + 1) % result.height; }
        select(i, j);
      }, 450);
    });
    function cellAt(event) {
      var box = outputCanvas.getBoundingClientRect();
      if (!result || box.width === 0) return null;
      return {
        i: Math.floor((event.clientY - box.top) / box.height * result.height),
        j: Math.floor((event.clientX - box.left) / box.width * result.width),
      };
    }
    outputCanvas.addEventListener("pointermove", function (event) {
      var at = cellAt(event);
      if (at && !timer) select(at.i, at.j);
    });
    outputCanvas.addEventListener("pointerdown", function (event) {
      var at = cellAt(event);
      stop();
      if (at) select(at.i, at.j);
    });
    outputCanvas.addEventListener("keydown", function (event) {
      var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      if (event.key in moves) {
        stop();
        select(selected.i + moves[event.key][0], selected.j + moves[event.key][1]);
        event.preventDefault();
      } else if (event.key === "Home") {
        stop();
        select(0, 0);
        event.preventDefault();
      } else if (event.key === "End" && result) {
        stop();
        select(result.height - 1, result.width - 1);
        event.preventDefault();
      }
    });
    // redraw when the page switches between light and dark (the window colour follows the theme)
    if (window.MutationObserver) {
      new MutationObserver(function () { if (lastState) render(); })
        .observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    }
    render();
  }

  window.CNNPlayground = {
    version: VERSION, mount: mount, convolve: convolve, parseWeight: parseWeight,
    axisSize: axisSize, format: format, cellText: cellText, sizeText: sizeText,
    readMask: readMask, selectionRing: selectionRing, divergingOf: divergingOf,
  };
})();
