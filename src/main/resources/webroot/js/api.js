// The REST client: every call carries the access token; every failure becomes an ApiError with the server's
// stable error code and message ({"error":{"code","message"}}).

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function createApi({ token, onUnauthorized }) {
  async function call(method, path, body, headers = {}) {
    const init = { method, headers: { Authorization: `Bearer ${token()}`, ...headers } };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers['Content-Type'] = 'application/json';
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (failure) {
      throw new ApiError(0, 'network_error', 'The server cannot be reached.');
    }
    if (response.status === 204) {
      return null;
    }
    const text = await response.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch (ignored) {
      json = null;
    }
    if (!response.ok) {
      const error = json && json.error ? json.error : { code: `http_${response.status}`, message: text || response.statusText };
      if (response.status === 401 && onUnauthorized) {
        onUnauthorized(error.code);
      }
      throw new ApiError(response.status, error.code, error.message);
    }
    return json;
  }

  return {
    get: (path) => call('GET', path),
    post: (path, body, headers) => call('POST', path, body === undefined ? {} : body, headers),
    put: (path, body) => call('PUT', path, body),
    patch: (path, body) => call('PATCH', path, body),
    del: (path) => call('DELETE', path),
    upload: (file, type) => {
      const form = new FormData();
      if (type) {
        form.append('type', type);
      }
      form.append('file', file, file.name);
      return call('POST', '/api/v1/media', form);
    },
    /** A stored file as a blob URL: media need the token, which an <img src> cannot send. */
    async blobUrl(path) {
      const response = await fetch(path, { headers: { Authorization: `Bearer ${token()}` } });
      if (!response.ok) {
        throw new ApiError(response.status, `http_${response.status}`, response.statusText);
      }
      return URL.createObjectURL(await response.blob());
    },
  };
}

/** Signs in; resolves to {access_token, user}. */
export async function signIn(email, password) {
  const response = await fetch('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const json = await response.json().catch(() => null);
  if (!response.ok) {
    const error = json && json.error ? json.error : { code: 'http_' + response.status, message: response.statusText };
    throw new ApiError(response.status, error.code, error.message);
  }
  return json;
}
