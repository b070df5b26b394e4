/** Response shapes every endpoint handler shares. */
import type { ApiRequest } from '../context.js';
import { inflectKeys, keyInflectionOf } from '../fields.js';
import { errorResponse, jsonResponse, type EmulatorResponse } from '../responses.js';

/** 200 with a kebab-keyed body respelled per the request's `Key-Inflection`. */
export function success(
  request: ApiRequest,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): EmulatorResponse {
  return jsonResponse(200, inflectKeys(body, keyInflectionOf(request.headers['key-inflection'])), headers);
}

/** 400 `invalid_json`. */
export function invalidJson(): EmulatorResponse {
  return errorResponse('invalid_json', 'The request body must be a JSON object.');
}
