/**
 * `GET /widget.js`: a classic script defining `window.Relay`, shaped like Persona's
 * `@persona/relay` widget, with two buttons instead of a verification. It posts the chosen outcome to the control
 * API on its own origin; the page embedding it never learns the outcome.
 *
 * Written as ES5-era browser JavaScript so it runs unbundled on any test page.
 */

export const WIDGET_SCRIPT = String.raw`/* Persona Relay emulator widget: a stand-in for @persona/relay. */
(function () {
  'use strict';
  // currentScript is only set while this file runs: resolve the emulator's origin now.
  var script = document.currentScript;
  var origin = script && script.src ? new URL(script.src).origin : window.location.origin;
  var COMPLETE_URL = origin + '/_emulator/widget/complete';
  var THEMES = ['light', 'dark', 'auto'];
  var THEME_STYLES = {
    light: 'background:#fff;color:#111;',
    dark: 'background:#111;color:#eee;',
    auto: ''
  };

  function Relay(container, options) {
    if (!(this instanceof Relay)) throw new TypeError('Relay must be called with new');
    var element = typeof container === 'string' ? document.querySelector(container) : container;
    if (!element || typeof element.appendChild !== 'function') throw new Error('Relay: container not found');
    if (!options || typeof options.accessToken !== 'string' || options.accessToken === '') {
      throw new Error('Relay: accessToken is required');
    }
    var theme = THEMES.indexOf(options.theme) >= 0 ? options.theme : 'auto';
    var self = this;
    this._options = options;
    this._destroyed = false;
    this._panel = document.createElement('div');
    this._panel.setAttribute('data-persona-relay-emulator', '');
    this._panel.setAttribute('data-theme', theme);
    this._panel.setAttribute('data-state', 'ready');
    this._panel.setAttribute('style', 'padding:1em;border:1px solid #888;' + THEME_STYLES[theme]);
    this._buttons = [['passed', 'Pass'], ['failed', 'Fail']].map(function (choice) {
      var button = document.createElement('button');
      button.setAttribute('type', 'button');
      button.setAttribute('data-outcome', choice[0]);
      button.textContent = choice[1];
      button.addEventListener('click', function () { self._submit(choice[0]); });
      self._panel.appendChild(button);
      return button;
    });
    element.appendChild(this._panel);
  }

  Relay.prototype._submit = function (outcome) {
    var self = this;
    if (this._destroyed || this._panel.getAttribute('data-state') !== 'ready') return;
    this._buttons.forEach(function (button) { button.disabled = true; });
    this._panel.setAttribute('data-state', 'submitting');
    fetch(COMPLETE_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accessToken: this._options.accessToken, outcome: outcome })
    }).then(function (response) {
      if (response.ok) return { state: 'completed' };
      return response.json().then(function (body) {
        var error = body && body.errors && body.errors[0] || {};
        var expired = response.status === 403 && error.code === 'relay_expired';
        return {
          state: expired ? 'expired' : 'error',
          code: error.code || 'network_error',
          message: error.details || error.title || 'HTTP ' + response.status
        };
      }, function () {
        return { state: 'error', code: 'network_error', message: 'HTTP ' + response.status };
      });
    }, function (failure) {
      return { state: 'error', code: 'network_error', message: String(failure && failure.message || failure) };
    }).then(function (result) { self._finish(result); });
  };

  Relay.prototype._finish = function (result) {
    // After destroy() nothing may reach the page any more.
    if (this._destroyed) return;
    this._panel.setAttribute('data-state', result.state);
    var options = this._options;
    if (result.state === 'completed') {
      if (typeof options.onComplete === 'function') options.onComplete();
    } else if (result.state === 'expired') {
      if (typeof options.onExpire === 'function') options.onExpire();
    } else if (typeof options.onError === 'function') {
      options.onError({ code: result.code, message: result.message });
    }
  };

  Relay.prototype.destroy = function () {
    this._destroyed = true;
    if (this._panel.parentNode) this._panel.parentNode.removeChild(this._panel);
  };

  window.Relay = Relay;
})();
`;
