// Single sign-on with the city's identity platform (统一身份认证): the authorization code flow with PKCE (RFC 7636).
// beginSignOn sends the browser to the issuer with a fresh verifier's S256 challenge and a random state, both kept
// in sessionStorage with the page to return to; the issuer sends it back to /login/callback, where finishSignOn
// checks the state and has the gateway exchange the code (with the verifier) for a token.
import { ApiError, api } from './api.js'

const FLOW_KEY = 'zhitong.sso'
const CALLBACK = '/login/callback'

// A page of this client to return to: a path here, never another site (`//host` is another site).
export function safeNext(next) {
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') ? next : null
}

function base64url(bytes) {
  let text = ''
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b)
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function randomText(length) {
  return base64url(crypto.getRandomValues(new Uint8Array(length)))
}

function failure(detail) {
  return new ApiError(0, { title: '统一身份认证登录失败', detail })
}

export async function beginSignOn(oidc, next) {
  if (!globalThis.crypto?.subtle) {
    throw failure('浏览器无法在此地址使用所需的加密功能，请通过 HTTPS 访问本系统后再登录')
  }
  const verifier = randomText(32) // 43 characters
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)))
  const state = randomText(16)
  const redirectUri = location.origin + CALLBACK
  sessionStorage.setItem(FLOW_KEY, JSON.stringify({ state, verifier, redirectUri, next: safeNext(next) }))
  const url = new URL(oidc.authorization_endpoint)
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: oidc.client_id,
    redirect_uri: redirectUri,
    scope: oidc.scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  })
  location.assign(url.toString())
}

const ISSUER_ERRORS = {
  access_denied: '您取消了登录，或您的账号无权使用本系统',
  login_required: '请先在统一身份认证平台登录',
  temporarily_unavailable: '统一身份认证平台暂时无法登录，请稍后重试',
  server_error: '统一身份认证平台出错，请稍后重试',
}

// The token for the code in the callback's query, and the page to go to; an ApiError saying in Chinese what went
// wrong otherwise. The kept state is used once, whatever happens.
export async function finishSignOn(query) {
  let flow = null
  try {
    flow = JSON.parse(sessionStorage.getItem(FLOW_KEY))
  } catch {
    /* unreadable: as if missing */
  }
  sessionStorage.removeItem(FLOW_KEY)
  if (typeof query.error === 'string') {
    const said = ISSUER_ERRORS[query.error] || `统一身份认证平台未完成登录（${query.error}）`
    const description = typeof query.error_description === 'string' ? query.error_description.slice(0, 200) : ''
    throw failure(description ? `${said}。平台说明：${description}` : said)
  }
  if (!flow) throw failure('登录状态已失效（可能在其他窗口重新发起了登录），请重新登录')
  if (typeof query.state !== 'string' || query.state !== flow.state) {
    throw failure('登录状态校验失败（state 不一致），请重新登录')
  }
  if (typeof query.code !== 'string' || !query.code) throw failure('统一身份认证平台没有返回授权码，请重新登录')
  const token = await api.post('/auth/oidc/token', {
    code: query.code,
    code_verifier: flow.verifier,
    redirect_uri: flow.redirectUri,
  })
  return { token, next: flow.next }
}
