/* The resident's report form: anonymity follows the category, one submit, in-page voice recording. */
(function () {
  var form = document.getElementById("report-form");
  form.addEventListener("submit", function () { document.getElementById("submit").disabled = true; });
  var anon = document.getElementById("id_anonymous"), contact = document.getElementById("contact");
  var allowed = JSON.parse(document.getElementById("anonymous-codes").textContent);
  var cat = document.getElementById("id_category");
  function sync() {
    var ok = allowed.indexOf(cat.value) >= 0 || !cat.value;
    anon.disabled = !ok; if (!ok) anon.checked = false;
    contact.hidden = anon.checked;
  }
  anon.addEventListener("change", sync); cat.addEventListener("change", sync); sync();
  // Voice: record in the page where the browser allows it, else the file picker is used.
  var btn = document.getElementById("record"), state = document.getElementById("record-state");
  if (window.MediaRecorder && navigator.mediaDevices && window.DataTransfer) {
    btn.hidden = false;
    var rec = null, chunks = [], timer = null;
    btn.addEventListener("click", function () {
      if (rec) { rec.stop(); return; }
      navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
        rec = new MediaRecorder(stream); chunks = [];
        rec.ondataavailable = function (e) { chunks.push(e.data); };
        rec.onstop = function () {
          stream.getTracks().forEach(function (t) { t.stop(); }); clearTimeout(timer);
          var blob = new Blob(chunks, { type: rec.mimeType || "audio/webm" });
          var dt = new DataTransfer(); dt.items.add(new File([blob], "voice.webm", { type: blob.type }));
          document.getElementById("voice").files = dt.files; rec = null;
          btn.textContent = "● " + btn.dataset.label; state.textContent = "✓ " + Math.round(blob.size / 1024) + " KB";
        };
        rec.start(); btn.textContent = "■"; state.textContent = "…";
        timer = setTimeout(function () { if (rec) rec.stop(); }, (parseInt(form.dataset.maxVoice, 10) || 120) * 1000);
      }).catch(function () { state.textContent = form.dataset.micError; });
    });
  }
})();
