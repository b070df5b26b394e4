/**
 * `/demo/app.js`: the page's behaviour, as plain browser JavaScript (no bundler, no inline script).
 *
 * The flow: `POST /relay/sessions` → show the verification (the widget, or Persona's hosted flow in a new
 * tab) → on completion `POST /relay/sessions/:id/claim` → show the result. The access token lives only in
 * a local variable and goes only to the widget (or the hosted-flow link); nothing is stored in the browser.
 * Every state is mirrored in `data-state` / `data-result` attributes so tests can wait for them.
 */
export const CLIENT_SCRIPT = String.raw`(function () {
  'use strict';

  var ui = {
    verify: document.getElementById('verify'),
    status: document.getElementById('status'),
    widget: document.getElementById('widget'),
    hosted: document.getElementById('hosted'),
    hostedLink: document.getElementById('hosted-link'),
    finished: document.getElementById('finished'),
    retry: document.getElementById('retry'),
    result: document.getElementById('result')
  };

  var config = null;
  var session = null; // { sessionId, accessToken } of the verification in progress
  var widget = null;
  var widgetScript = null; // Promise of the loaded widget script, loaded once

  // ---- small helpers -------------------------------------------------------

  function setStatus(state, text) {
    ui.status.setAttribute('data-state', state);
    ui.status.textContent = text;
  }

  function showResult(kind, title, lines) {
    ui.result.hidden = false;
    ui.result.className = 'result ' + kind;
    ui.result.setAttribute('data-result', kind);
    ui.result.textContent = '';
    var heading = document.createElement('p');
    var strong = document.createElement('b');
    strong.textContent = title;
    heading.appendChild(strong);
    ui.result.appendChild(heading);
    (lines || []).forEach(function (line) {
      if (typeof line === 'string') {
        var p = document.createElement('p');
        p.textContent = line;
        ui.result.appendChild(p);
      } else {
        ui.result.appendChild(line);
      }
    });
  }

  function clearResult() {
    ui.result.hidden = true;
    ui.result.removeAttribute('data-result');
    ui.result.textContent = '';
  }

  function closeVerification() {
    if (widget) {
      widget.destroy();
      widget = null;
    }
    ui.hosted.hidden = true;
    ui.hostedLink.removeAttribute('href');
  }

  // Ends a flow: the user may start again.
  function finish() {
    closeVerification();
    session = null;
    ui.verify.disabled = false;
    ui.verify.textContent = 'Verify again';
  }

  function fail(title, text, options) {
    var canRetry = options && options.retry;
    setStatus(canRetry ? 'waiting' : 'error', canRetry ? 'Waiting for the result.' : 'Stopped.');
    showResult('error', title, [text]);
    // With the hosted flow, "I've finished" already asks again.
    ui.retry.hidden = !canRetry || !ui.hosted.hidden;
    if (!canRetry) finish();
  }

  async function postJson(path) {
    var response;
    try {
      response = await fetch(path, {
        method: 'POST',
        // The relay routes accept JSON only (it also keeps cross-site form posts out).
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        credentials: 'same-origin',
        body: '{}'
      });
    } catch (error) {
      return { status: 0, body: { code: 'network_error', message: 'The server could not be reached.' } };
    }
    var body = null;
    try {
      body = await response.json();
    } catch (error) {
      body = null;
    }
    return { status: response.status, body: body || {} };
  }

  // A readable explanation of an error answer from the relay routes ({code, message}).
  function explain(answer) {
    var code = answer.body.code || 'HTTP ' + answer.status;
    var message = answer.body.message || 'The server answered with status ' + answer.status + '.';
    if (answer.status === 0) return message + ' Is the demo still running?';
    if (answer.status === 429) return 'Too many verification attempts. Wait a while, then try again. (' + code + ')';
    if (answer.status >= 500) return 'The server could not complete the request, probably because Persona could not be reached. Try again in a moment. (' + code + ': ' + message + ')';
    return message + ' (' + code + ')';
  }

  function loadWidgetScript(url) {
    if (!widgetScript) {
      widgetScript = new Promise(function (resolve, reject) {
        var script = document.createElement('script');
        script.src = url;
        script.onload = function () {
          if (typeof window.Relay === 'function') resolve(window.Relay);
          else reject(new Error('the script did not define window.Relay'));
        };
        script.onerror = function () { reject(new Error('the script could not be loaded')); };
        document.head.appendChild(script);
      });
      // A failed load may be retried by the next click.
      widgetScript.catch(function () { widgetScript = null; });
    }
    return widgetScript;
  }

  // ---- the flow --------------------------------------------------------------

  async function startVerification() {
    closeVerification();
    clearResult();
    ui.retry.hidden = true;
    ui.verify.disabled = true;
    setStatus('busy', 'Creating a verification session…');

    var answer = await postJson('/relay/sessions');
    if (answer.status !== 201) {
      fail('Could not start a verification', explain(answer));
      return;
    }
    session = { sessionId: answer.body.sessionId, accessToken: answer.body.accessToken };

    if (config.verification.kind === 'widget') {
      var Relay;
      try {
        Relay = await loadWidgetScript(config.verification.scriptUrl);
      } catch (error) {
        fail('Could not load the verification widget', 'Loading ' + config.verification.scriptUrl + ' failed: ' + error.message + '.');
        return;
      }
      var current = session;
      widget = new Relay(ui.widget, {
        accessToken: current.accessToken,
        theme: 'auto',
        // The widget never tells the page the outcome; the server reads it from Persona.
        onComplete: function () { if (session === current) readClaim(); },
        onExpire: function () { if (session === current) expired(); },
        onError: function (error) {
          if (session !== current) return;
          fail('The verification widget reported an error', (error && error.message || 'Unknown error') + ' (' + (error && error.code || 'unknown') + ')');
        }
      });
      setStatus('verifying', 'Complete the verification in the panel below.');
    } else {
      ui.hostedLink.href = config.verification.flowUrl + '?relay-session-access-token=' + encodeURIComponent(session.accessToken);
      ui.hosted.hidden = false;
      setStatus('verifying', 'Complete the verification in the new tab, then come back and press “I’ve finished”.');
    }
    // A closed tab or a change of mind must not leave the user stuck until the session expires.
    ui.verify.disabled = false;
    ui.verify.textContent = 'Start over';
  }

  function expired() {
    setStatus('error', 'Stopped.');
    showResult('error', 'The verification session expired', ['Verification sessions last 30 minutes. Press “Verify again” to start a new one.']);
    ui.retry.hidden = true;
    finish();
  }

  async function readClaim() {
    if (!session) return;
    var current = session;
    ui.retry.hidden = true;
    ui.finished.disabled = true;
    clearResult();
    setStatus('busy', 'Asking Persona for the result…');
    var answer = await postJson('/relay/sessions/' + encodeURIComponent(current.sessionId) + '/claim');
    ui.finished.disabled = false;
    if (session !== current) return;

    if (answer.status === 200) {
      showClaim(answer.body);
      finish();
    } else if (answer.status === 409 && answer.body.code === 'ERR_RELAY_CLAIM_NOT_READY') {
      fail('No result yet', 'Persona has no result for this verification yet. Finish the verification first, then ask again.', { retry: true });
    } else if (answer.status === 410 || answer.body.code === 'ERR_RELAY_SESSION_EXPIRED') {
      expired();
    } else {
      // Network errors, 5xx and 409 "in progress" are worth another try: the server never loses a claim.
      var transient = answer.status === 0 || answer.status >= 500 || answer.status === 409;
      fail('Could not read the result', explain(answer), { retry: transient });
    }
  }

  function showClaim(claim) {
    var lines = [];
    var methods = Array.isArray(claim.methodology) ? claim.methodology : [];
    if (methods.length > 0) {
      var list = document.createElement('ul');
      methods.forEach(function (entry) {
        var item = document.createElement('li');
        item.textContent = entry.method + ': ' + entry.result;
        list.appendChild(item);
      });
      lines.push('How it was checked:');
      lines.push(list);
    }
    if (claim.result === 'passed') {
      setStatus('done', 'Done.');
      lines.unshift('Persona confirmed the claim “' + claim.claimType + '”. The restricted page below is open to you now.');
      showResult('passed', 'Passed', lines);
    } else {
      setStatus('done', 'Done.');
      lines.unshift('Persona could not confirm the claim “' + claim.claimType + '”. The restricted page stays closed.');
      showResult('failed', 'Failed', lines);
    }
  }

  // ---- start -----------------------------------------------------------------

  ui.verify.addEventListener('click', startVerification);
  ui.finished.addEventListener('click', readClaim);
  ui.retry.addEventListener('click', readClaim);

  fetch('/demo/config', { headers: { Accept: 'application/json' } })
    .then(function (response) {
      if (!response.ok) throw new Error('HTTP ' + response.status);
      return response.json();
    })
    .then(function (body) {
      config = body;
      ui.verify.disabled = false;
      setStatus('idle', 'Ready.');
    }, function (error) {
      setStatus('error', 'The demo configuration could not be loaded (' + error.message + '). Reload the page.');
    });
})();
`;
