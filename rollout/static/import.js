// Progress for large CSV imports: upload with XMLHttpRequest to show how far it
// has come, then show the server's answer as the page. Without JavaScript the
// form posts as usual.
(function () {
  var script = document.currentScript;
  var form = document.getElementById('import-form');
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  form.addEventListener('submit', function (event) {
    var file = form.querySelector('input[type=file]');
    if (!file || !file.files.length) return;
    event.preventDefault();
    var box = document.getElementById('import-progress');
    var bar = document.getElementById('import-progress-bar');
    var label = document.getElementById('import-progress-label');
    var text = document.getElementById('import-progress-text');
    box.hidden = false;
    form.querySelector('button[type=submit]').disabled = true;
    var xhr = new XMLHttpRequest();
    xhr.open('POST', form.action || window.location.href);
    xhr.upload.addEventListener('progress', function (e) {
      if (!e.lengthComputable) return;
      var n = Math.round(100 * e.loaded / e.total);
      bar.value = n;
      text.textContent = script.dataset.percent.replace('{n}', n);
    });
    xhr.upload.addEventListener('load', function () {
      bar.removeAttribute('value');
      label.textContent = script.dataset.checking;
      text.textContent = script.dataset.checking;
    });
    xhr.addEventListener('load', function () {
      document.open();
      document.write(xhr.responseText);
      document.close();
      if (xhr.responseURL) history.replaceState(null, '', xhr.responseURL);
    });
    xhr.addEventListener('error', function () { form.submit(); });
    xhr.send(new FormData(form));
  });
})();
