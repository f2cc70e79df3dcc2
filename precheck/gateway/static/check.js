/* The browser check (/check): camera, microphone, speaker, connection, declarations.
 *
 * The gateway's own script, with no library and nothing from elsewhere (the page's CSP allows only
 * this file). Only figures leave the device: frame statistics (brightness, contrast, similarity
 * to the previous frame), audio levels, the listener's answer, Client Hints and the network type.
 * The gateway times the connection itself over one WebSocket and judges everything with the
 * app's own checks (precheck/gateway/browser_facts.py); this script shows what it answers.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("check-config").textContent);
  var root = document.getElementById("check");
  var W = config.words;
  var STEPS = ["camera", "microphone", "speaker", "connection", "declarations"];
  var state = {
    camera: { state: "not_opened" },
    microphone: { state: "not_opened" },
    speaker: { played: false, heard: null },
    device: {},
    network_type: null,
    declarations: {}
  };
  var token = null;
  var audio = null;
  var cameraStream = null;

  function t(key, args) {
    var text = W[key] || key;
    Object.keys(args || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(args[name]));
    });
    return text;
  }
  function $(id) { return document.getElementById(id); }
  function sleep(ms) { return new Promise(function (done) { setTimeout(done, ms); }); }
  function say(id, text) { $(id).textContent = text; }
  function round(value, digits) { var f = Math.pow(10, digits); return Math.round(value * f) / f; }

  function isPc() {
    var ua = navigator.userAgent;
    if (/iPhone|iPad|iPod|Android/.test(ua)) { return false; }
    if (/Macintosh/.test(ua) && navigator.maxTouchPoints > 1) { return false; }
    return !(navigator.userAgentData && navigator.userAgentData.mobile);
  }

  function show(step) {
    Array.prototype.forEach.call(root.querySelectorAll(".step"), function (section) {
      section.hidden = section.id !== "step-" + step;
    });
    if (step !== "camera" && cameraStream) {
      cameraStream.getTracks().forEach(function (track) { track.stop(); });
      cameraStream = null;
    }
    var index = STEPS.indexOf(step);
    $("progress").hidden = index < 0;
    if (index >= 0) { $("progress").textContent = t("step", { n: index + 1, total: STEPS.length }); }
    window.scrollTo(0, 0);
    var heading = $("step-" + step).querySelector("h2");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
    if (step === "camera") { measureCamera(); }
    if (step === "microphone") { measureMicrophone(); }
    if (step === "connection") { measureConnection(); }
    if (step === "declarations") { showDeclarations(); }
  }

  function post(path, body) {
    return fetch(path + "?lang=" + config.lang, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": root.dataset.csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.message || String(response.status)); }
        return data;
      });
    });
  }

  function mediaState(error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") { return "denied"; }
    if (name === "NotFoundError" || name === "OverconstrainedError") { return "not_found"; }
    if (name === "NotReadableError" || name === "AbortError") { return "busy"; }
    return "not_opened";
  }

  function showDenied(id, device) {
    var box = $(id);
    box.textContent = "";
    var title = document.createElement("p");
    title.className = "denied-title";
    title.textContent = t("denied_title", { device: t(device) });
    box.appendChild(title);
    var list = document.createElement("ul");
    ["allow_ios", "allow_android"].forEach(function (key) {
      var item = document.createElement("li");
      item.textContent = t(key, { device: t(device) });
      list.appendChild(item);
    });
    box.appendChild(list);
    box.hidden = false;
  }

  function enableNext(step) {
    $("step-" + step).querySelector("button.next").disabled = false;
  }

  /* -- device ----------------------------------------------------------------------------- */

  function readDevice() {
    var device = { touch_points: navigator.maxTouchPoints || 0 };
    var hints = navigator.userAgentData;
    if (!hints) { return Promise.resolve(device); }
    device.platform = hints.platform || "";
    device.mobile = hints.mobile;
    if (!hints.getHighEntropyValues) { return Promise.resolve(device); }
    return hints.getHighEntropyValues(["platformVersion", "fullVersionList"]).then(function (v) {
      device.platformVersion = v.platformVersion || "";
      device.fullVersionList = (v.fullVersionList || []).slice(0, 10).map(function (b) {
        return { brand: String(b.brand), version: String(b.version) };
      });
      return device;
    }, function () { return device; });
  }

  /* -- camera: frame statistics, as the app measures them --------------------------------- */

  var WIDTH = 160;

  function grey(pixels) {
    var out = new Float32Array(pixels.length / 4);
    for (var i = 0, j = 0; i < pixels.length; i += 4, j += 1) {
      out[j] = 0.2126 * pixels[i] + 0.7152 * pixels[i + 1] + 0.0722 * pixels[i + 2];
    }
    return out;
  }

  function meanStd(values) {
    var sum = 0, squares = 0;
    for (var i = 0; i < values.length; i += 1) { sum += values[i]; squares += values[i] * values[i]; }
    var mean = sum / values.length;
    return [mean, Math.sqrt(Math.max(0, squares / values.length - mean * mean))];
  }

  /* Mean SSIM over 8x8 windows (Wang et al. 2004 with a square window; the app uses an 11x11
   * Gaussian on a larger frame: a still repeats at 1.0 in both, a moving picture is far below). */
  function ssim(a, b, width, height) {
    var c1 = Math.pow(0.01 * 255, 2), c2 = Math.pow(0.03 * 255, 2), total = 0, count = 0;
    for (var y = 0; y + 8 <= height; y += 8) {
      for (var x = 0; x + 8 <= width; x += 8) {
        var sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        for (var dy = 0; dy < 8; dy += 1) {
          for (var dx = 0; dx < 8; dx += 1) {
            var k = (y + dy) * width + x + dx, p = a[k], q = b[k];
            sa += p; sb += q; saa += p * p; sbb += q * q; sab += p * q;
          }
        }
        var ma = sa / 64, mb = sb / 64;
        var va = saa / 64 - ma * ma, vb = sbb / 64 - mb * mb, cov = sab / 64 - ma * mb;
        total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
        count += 1;
      }
    }
    return count ? total / count : 1;
  }

  function measureCamera() {
    if (state.camera.measured) { return; }
    state.camera.measured = true;
    say("camera-state", t("camera_measuring"));
    var video = $("preview");
    var constraints = { audio: false, video: { width: { ideal: 1280 }, height: { ideal: 720 } } };
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      state.camera = { state: "not_opened", measured: true };
      say("camera-state", "");
      enableNext("camera");
      return;
    }
    navigator.mediaDevices.getUserMedia(constraints).then(function (stream) {
      video.srcObject = stream;
      return video.play().then(function () { return sampleFrames(video, stream); });
    }).then(function (figures) {
      state.camera = figures;
      say("camera-state", figures.width + " x " + figures.height + ", " + figures.fps + " fps");
      enableNext("camera");
    }, function (error) {
      state.camera = { state: mediaState(error), measured: true };
      say("camera-state", "");
      video.parentNode.hidden = true;
      if (state.camera.state === "denied") { showDenied("camera-denied", "camera"); }
      enableNext("camera");
    });
  }

  function sampleFrames(video, stream) {
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    var frames = [], previous = null, started = performance.now(), presented = 0;
    var maxFrames = 30, maxMs = 4000;
    return new Promise(function (done) {
      function frame() {
        var width = video.videoWidth, height = video.videoHeight;
        if (width && height) {
          canvas.width = WIDTH;
          canvas.height = Math.max(8, Math.round(WIDTH * height / width));
          context.drawImage(video, 0, 0, canvas.width, canvas.height);
          var luma = grey(context.getImageData(0, 0, canvas.width, canvas.height).data);
          var stats = meanStd(luma), similarity = null, motion = null;
          if (previous && previous.length === luma.length) {
            similarity = ssim(previous, luma, canvas.width, canvas.height);
            var diff = 0;
            for (var i = 0; i < luma.length; i += 1) { diff += Math.abs(luma[i] - previous[i]); }
            motion = diff / luma.length;
          }
          frames.push([round(stats[0], 2), round(stats[1], 2),
                       similarity === null ? null : round(similarity, 5),
                       motion === null ? null : round(motion, 3)]);
          previous = luma;
        }
        var elapsed = performance.now() - started;
        if (frames.length >= maxFrames || elapsed >= maxMs) { finish(elapsed); return; }
        if (video.requestVideoFrameCallback) {
          video.requestVideoFrameCallback(function () { presented += 1; frame(); });
        } else {
          setTimeout(frame, 1000 / (settings.frameRate || 15));
        }
      }
      var settings = stream.getVideoTracks()[0].getSettings();
      function finish(elapsed) {
        var measured = video.requestVideoFrameCallback ? presented / (elapsed / 1000) : 0;
        var rates = [measured, settings.frameRate || 0].filter(function (r) { return r > 0; });
        var figures = {
          state: frames.length ? "ok" : "busy",
          width: video.videoWidth, height: video.videoHeight,
          fps: round(rates.length ? Math.min.apply(null, rates) : 0, 1),
          frames: frames
        };
        cameraStream = stream;  /* the preview stays live until the next step */
        figures.measured = true;
        done(figures);
      }
      frame();
    });
  }

  /* -- microphone: levels as the app computes them ----------------------------------------- */

  function dbfs(value) { return value <= 0 ? -120 : Math.max(-120, 20 * Math.log10(value)); }

  function levels(samples, rate) {
    var n = samples.length, sum = 0, peak = 0, run = 0, longest = 0, clipped = 0;
    for (var i = 0; i < n; i += 1) {
      var v = samples[i], m = Math.abs(v);
      sum += v * v;
      if (m > peak) { peak = m; }
      if (m >= 0.999) { run += 1; clipped += 1; if (run > longest) { longest = run; } } else { run = 0; }
    }
    var window = Math.max(1, Math.floor(rate * 0.1)), windows = [];
    for (var start = 0; start + window <= n; start += window) {
      var s = 0;
      for (var j = start; j < start + window; j += 1) { s += samples[j] * samples[j]; }
      windows.push(dbfs(Math.sqrt(s / window)));
    }
    if (!windows.length) { windows.push(dbfs(n ? Math.sqrt(sum / n) : 0)); }
    var sorted = windows.slice().sort(function (a, b) { return a - b; });
    var position = 0.2 * (sorted.length - 1), low = Math.floor(position);
    var floor = sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (position - low);
    return {
      seconds: round(n / rate, 3), rms_dbfs: round(dbfs(n ? Math.sqrt(sum / n) : 0), 1),
      peak_dbfs: round(dbfs(peak), 1), noise_floor_dbfs: round(floor, 1),
      loudest_window_dbfs: round(Math.max.apply(null, windows), 1),
      longest_clip_run: longest, clipped_samples: clipped
    };
  }

  function measureMicrophone() {
    if (state.microphone.measured) { return; }
    state.microphone.measured = true;
    say("microphone-state", t("microphone_measuring"));
    var constraints = { video: false, audio: { echoCancellation: false, noiseSuppression: false,
                                               autoGainControl: false } };
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      state.microphone = { state: "not_opened", measured: true };  /* e.g. not over https */
      say("microphone-state", "");
      enableNext("microphone");
      return;
    }
    navigator.mediaDevices.getUserMedia(constraints).then(function (stream) {
      return record(stream, 3500);
    }).then(function (figures) {
      state.microphone = figures;
      say("microphone-state", figures.levels.rms_dbfs + " dBFS");
      enableNext("microphone");
    }, function (error) {
      state.microphone = { state: mediaState(error), measured: true };
      say("microphone-state", "");
      if (state.microphone.state === "denied") { showDenied("microphone-denied", "microphone"); }
      enableNext("microphone");
    });
  }

  function record(stream, ms) {
    var source = audio.createMediaStreamSource(stream);
    var processor = audio.createScriptProcessor(4096, 1, 1);
    var mute = audio.createGain();
    mute.gain.value = 0;
    var chunks = [], bar = $("meter-bar"), meter = bar.parentNode;
    processor.onaudioprocess = function (event) {
      var data = new Float32Array(event.inputBuffer.getChannelData(0));
      chunks.push(data);
      var s = 0;
      for (var i = 0; i < data.length; i += 1) { s += data[i] * data[i]; }
      var level = dbfs(Math.sqrt(s / data.length));
      var fraction = Math.max(0, Math.min(1, (level + 60) / 60));
      bar.style.width = Math.round(fraction * 100) + "%";
      bar.className = "meter-bar" + (level > -3 ? " loud" : "");
      meter.setAttribute("aria-valuenow", String(Math.round(level)));
    };
    source.connect(processor);
    processor.connect(mute);
    mute.connect(audio.destination);
    return sleep(ms).then(function () {
      processor.disconnect();
      source.disconnect();
      stream.getTracks().forEach(function (track) { track.stop(); });
      var total = chunks.reduce(function (n, c) { return n + c.length; }, 0);
      var samples = new Float32Array(total), offset = 0;
      chunks.forEach(function (c) { samples.set(c, offset); offset += c.length; });
      return { state: "ok", samplerate: audio.sampleRate, levels: levels(samples, audio.sampleRate),
               measured: true };
    });
  }

  /* -- speaker: a tone, and the listener's answer ------------------------------------------ */

  function playTone() {
    var oscillator = audio.createOscillator(), gain = audio.createGain(), now = audio.currentTime;
    oscillator.frequency.value = 660;
    gain.gain.setValueAtTime(0, now);
    gain.gain.linearRampToValueAtTime(0.5, now + 0.05);
    gain.gain.setValueAtTime(0.5, now + 1.9);
    gain.gain.linearRampToValueAtTime(0, now + 2);
    oscillator.connect(gain);
    gain.connect(audio.destination);
    oscillator.start(now);
    oscillator.stop(now + 2.05);
    state.speaker.played = audio.state === "running";
    $("ask").hidden = false;
  }

  function answer(heard) {
    state.speaker.heard = heard;
    show("connection");
  }

  /* -- connection: the gateway times it ------------------------------------------------------ */

  function phase(name, fraction) {
    $("phase-" + name).querySelector("progress").value = Math.max(0, Math.min(1, fraction));
  }

  function measureConnection() {
    if (state.connectionStarted) { return; }
    state.connectionStarted = true;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/check/" + token + "/connection");
    socket.binaryType = "arraybuffer";
    var received = 0, reported = 0, uploading = false, phaseStart = 0, seconds = 4, timer = null;
    var chunk = new Uint8Array(65536);
    crypto.getRandomValues(chunk);
    function tick(name) {
      clearInterval(timer);
      phaseStart = performance.now();
      timer = setInterval(function () {
        phase(name, (performance.now() - phaseStart) / 1000 / seconds);
      }, 200);
    }
    function pump() {
      while (uploading && socket.bufferedAmount < 262144) { socket.send(chunk); }
      if (uploading) { setTimeout(pump, 5); }
    }
    socket.onmessage = function (event) {
      if (typeof event.data !== "string") {
        received += event.data.byteLength;
        var now = performance.now();
        if (now - reported >= 200) {
          reported = now;
          socket.send(JSON.stringify({ op: "got", bytes: received }));
        }
        return;
      }
      var message = JSON.parse(event.data);
      if (message.op === "ping") {
        socket.send(JSON.stringify({ op: "pong", i: message.i }));
        phase("latency", (message.i + 1) / message.of);
      } else if (message.op === "download") {
        seconds = message.seconds;
        tick("download");
      } else if (message.op === "download_end") {
        socket.send(JSON.stringify({ op: "got", bytes: received, final: true }));
        clearInterval(timer);
        phase("download", 1);
      } else if (message.op === "upload") {
        seconds = message.seconds;
        tick("upload");
        uploading = true;
        pump();
      } else if (message.op === "upload_end") {
        uploading = false;
        socket.send(JSON.stringify({ op: "upload_done" }));
        clearInterval(timer);
        phase("upload", 1);
      } else if (message.op === "done") {
        say("connection-state", "");
        enableNext("connection");
      }
    };
    socket.onerror = socket.onclose = function () {
      clearInterval(timer);
      uploading = false;
      enableNext("connection");
    };
  }

  /* -- declarations and the result ---------------------------------------------------------- */

  function showDeclarations() {
    var list = $("declaration-list");
    if (list.childNodes.length) { return; }
    var kind = isPc() ? "pc" : "phone";
    $("pc-declarations-note").hidden = kind !== "pc";
    var type = navigator.connection && navigator.connection.type;
    state.network_type = type || null;
    config.declarations[kind].forEach(function (item) {
      if (item.id === config.wifi_declaration && (type === "cellular" || type === "ethernet")) {
        return;
      }
      var label = document.createElement("label");
      label.className = "declaration";
      var box = document.createElement("input");
      box.type = "checkbox";
      box.id = item.id.replace(".", "-");
      box.addEventListener("change", function () { state.declarations[item.id] = box.checked; });
      state.declarations[item.id] = false;
      var text = document.createElement("span");
      var title = document.createElement("strong");
      title.textContent = item.title;
      text.appendChild(title);
      text.appendChild(document.createTextNode(item.statement));
      label.appendChild(box);
      label.appendChild(text);
      list.appendChild(label);
    });
  }

  function entry(item) {
    var li = document.createElement("li");
    li.className = "entry entry-" + item.status;
    var head = document.createElement("p");
    head.className = "entry-head";
    var badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = t("status_" + item.status);
    var title = document.createElement("strong");
    title.textContent = item.title;
    head.appendChild(badge);
    head.appendChild(title);
    li.appendChild(head);
    var summary = document.createElement("p");
    summary.className = "summary";
    summary.textContent = item.summary;
    li.appendChild(summary);
    if (item.fix.length) {
      var fixes = document.createElement("ol");
      fixes.className = "fix";
      item.fix.forEach(function (step) {
        var f = document.createElement("li");
        f.textContent = step;
        fixes.appendChild(f);
      });
      li.appendChild(fixes);
    }
    return li;
  }

  function finish() {
    show("result");
    say("result-state", t("working"));
    var body = {
      camera: pick(state.camera, ["state", "width", "height", "fps", "frames"]),
      microphone: pick(state.microphone, ["state", "samplerate", "levels"]),
      speaker: { played: state.speaker.played, heard: state.speaker.played ? state.speaker.heard : null },
      device: state.device,
      network_type: state.network_type,
      declarations: state.declarations
    };
    post("/check/" + token + "/finish", body).then(showResult, function (error) {
      say("result-state", t("failed", { reason: error.message }));
      $("result-actions").hidden = false;
    });
  }

  function pick(object, keys) {
    var out = {};
    keys.forEach(function (key) { if (object[key] !== undefined) { out[key] = object[key]; } });
    return out;
  }

  function showResult(result) {
    say("result-state", "");
    var verdict = $("verdict");
    verdict.className = "verdict verdict-" + result.verdict;
    verdict.textContent = "";
    var word = document.createElement("p");
    word.className = "verdict-word";
    word.textContent = result.word;
    var detail = document.createElement("p");
    detail.textContent = result.detail;
    verdict.appendChild(word);
    verdict.appendChild(detail);
    verdict.hidden = false;
    var blocking = result.entries.filter(function (e) { return e.blocks; });
    var others = result.entries.filter(function (e) { return !e.blocks; });
    blocking.forEach(function (e) { $("blocking-list").appendChild(entry(e)); });
    others.forEach(function (e) { $("others-list").appendChild(entry(e)); });
    $("blocking").hidden = !blocking.length;
    $("others-title").hidden = !others.length;
    var next = $("continue");
    if (result.verdict === "pass") {
      next.hidden = false;
      if (config.start) {
        next.textContent = t("to_booking");
        next.href = "/offices/" + config.office + "/book?start=" + encodeURIComponent(config.start) +
          "&lang=" + config.lang;
      } else {
        next.textContent = t("to_office");
        next.href = "/offices/" + config.office + "?lang=" + config.lang;
      }
    }
    $("result-actions").hidden = false;
    verdict.setAttribute("tabindex", "-1");
    verdict.focus();
  }

  /* -- wiring -------------------------------------------------------------------------------- */

  function begin() {
    var button = $("begin");
    button.disabled = true;
    var AudioContextClass = window.AudioContext || window.webkitAudioContext;
    audio = new AudioContextClass();
    if (audio.resume) { audio.resume(); }
    Promise.all([readDevice(), post("/check/start", { office: config.office })]).then(function (found) {
      state.device = found[0];
      token = found[1].token;
      show("camera");
    }, function (error) {
      button.disabled = false;
      say("step-intro-state", t("failed", { reason: error.message }));
    });
  }

  root.hidden = false;
  if (isPc()) {
    $("pc-note").hidden = false;
    $("download-link").hidden = !config.download_url;
  }
  var introState = document.createElement("p");
  introState.id = "step-intro-state";
  introState.className = "state";
  introState.setAttribute("role", "status");
  $("step-intro").appendChild(introState);
  $("begin").addEventListener("click", begin);
  Array.prototype.forEach.call(root.querySelectorAll("button.next"), function (button) {
    button.addEventListener("click", function () { show(button.dataset.next); });
  });
  $("play").addEventListener("click", playTone);
  $("play-again").addEventListener("click", playTone);
  $("heard-yes").addEventListener("click", function () { answer(true); });
  $("heard-no").addEventListener("click", function () { answer(false); });
  $("finish").addEventListener("click", finish);
  $("retry").addEventListener("click", function () { location.reload(); });
}());
