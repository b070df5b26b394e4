/**
 * The demo's decisions from the environment (no browser needed; kept with the demo's browser suite).
 */
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../../src/demo/security-headers.js';
import { DEMO_EMULATOR_API_KEY, PERSONA_HOSTED_FLOW_URL, resolveDemoSettings, verificationFor } from '../../src/demo/settings.js';
import { escapeHtml } from '../../src/demo/page/html.js';

describe('resolveDemoSettings', () => {
  it('with nothing configured: embedded emulator, throwaway secrets, in-memory database, one warning each', () => {
    const settings = resolveDemoSettings({});
    expect(settings.persona).toEqual({ kind: 'embedded-emulator' });
    expect(Buffer.from(settings.relayOverrides.storageKey!, 'base64')).toHaveLength(32);
    expect(settings.relayOverrides.cookieSecret!.length).toBeGreaterThanOrEqual(32);
    expect(settings.relayOverrides.dataDir).toBe('memory://');
    expect(settings.warnings).toHaveLength(2);
    expect(settings.warnings[0]).toMatch(/^WARNING: RELAY_STORAGE_KEY is not set/);
    expect(settings.warnings[1]).toMatch(/^WARNING: RELAY_COOKIE_SECRET is not set/);
  });

  it('the embedded emulator key is production-style, so Fail can be chosen', () => {
    expect(DEMO_EMULATOR_API_KEY.startsWith('persona_sandbox_')).toBe(false);
  });

  it('with a key: Persona (default URL) and no emulator; configured secrets are left to the module', () => {
    const settings = resolveDemoSettings({
      PERSONA_API_KEY: 'persona_sandbox_x',
      RELAY_STORAGE_KEY: Buffer.alloc(32, 1).toString('base64'),
      RELAY_COOKIE_SECRET: 'c'.repeat(32),
    });
    expect(settings.persona).toEqual({ kind: 'configured', apiUrl: 'https://api.withpersona.com' });
    expect(settings.relayOverrides).toEqual({});
    expect(settings.warnings).toEqual([]);
  });

  it('keeps a configured database but still warns about a throwaway storage key', () => {
    const settings = resolveDemoSettings({ DATABASE_URL: 'postgres://localhost/x' });
    expect(settings.relayOverrides.dataDir).toBeUndefined();
    expect(settings.relayOverrides.storageKey).toBeDefined();
    expect(settings.warnings[0]).toMatch(/cannot be read after a restart/);
  });

  it('refuses PERSONA_API_URL without PERSONA_API_KEY', () => {
    expect(() => resolveDemoSettings({ PERSONA_API_URL: 'https://api.withpersona.com' })).toThrow(/PERSONA_API_KEY is not/);
  });
});

describe('verificationFor', () => {
  it("uses Persona's hosted flow for Persona's hosts", () => {
    expect(verificationFor('https://api.withpersona.com')).toEqual({ kind: 'hosted', flowUrl: PERSONA_HOSTED_FLOW_URL });
  });

  it("uses an emulator's widget stand-in for any other host", () => {
    expect(verificationFor('http://127.0.0.1:8787/')).toEqual({ kind: 'widget', scriptUrl: 'http://127.0.0.1:8787/widget.js' });
  });
});

describe('contentSecurityPolicy', () => {
  it('allows scripts and fetches from this origin and the widget origin only', () => {
    const policy = contentSecurityPolicy({ kind: 'widget', scriptUrl: 'http://127.0.0.1:9/widget.js' });
    expect(policy).toContain("script-src 'self' http://127.0.0.1:9;");
    expect(policy).toContain("connect-src 'self' http://127.0.0.1:9;");
    const inline = policy.split('; ').filter((directive) => directive.includes('unsafe-inline'));
    expect(inline).toEqual(["style-src-attr 'unsafe-inline'"]);
    expect(contentSecurityPolicy({ kind: 'hosted', flowUrl: PERSONA_HOSTED_FLOW_URL })).toContain("script-src 'self';");
  });
});

describe('escapeHtml', () => {
  it('escapes markup and quotes', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });
});
