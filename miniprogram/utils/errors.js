// The gateway's error envelope {"error": {code, message, details, request_id}} turned into
// something we can say to a person. The server's message is already plain Chinese; we only fall
// back to our own words when it is missing (network down, proxy error page, ...).
const FALLBACK_BY_CODE = {
  NETWORK: '网络连接不上，请检查网络后再试',
  TIMEOUT: '服务器响应太慢，请稍后再试',
  SLOT_FULL: '这个时段已经约满了，可以换个时间或排队等候',
  TASK_TAKEN: '这个任务已经被其他志愿者接走了',
  UNAUTHENTICATED: '登录已过期，请重新进入小程序',
  ILLEGAL_TRANSITION: '当前状态下不能做这个操作，请刷新后再看'
};

const FALLBACK_BY_STATUS = {
  400: '填写的内容有误，请检查后再提交',
  401: '登录已过期，请重新进入小程序',
  403: '您没有权限办理这件事',
  404: '没有找到相关信息',
  409: '情况有变化，请刷新后再试',
  422: '不符合办理条件',
  429: '操作太频繁，请稍等一会儿再试',
  500: '服务器出了点问题，请稍后再试',
  502: '服务暂时不可用，请稍后再试',
  503: '服务暂时不可用，请稍后再试',
  504: '服务器响应太慢，请稍后再试'
};

class ApiError extends Error {
  constructor({ status = 0, code = 'UNKNOWN', message = '', details = null, requestId = '' } = {}) {
    super(message || FALLBACK_BY_CODE[code] || FALLBACK_BY_STATUS[status] || '出了点问题，请稍后再试');
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
  }
}

function fromResponse(status, body) {
  const env = body && typeof body === 'object' && body.error && typeof body.error === 'object' ? body.error : null;
  return new ApiError({
    status,
    code: (env && env.code) || `HTTP_${status}`,
    message: (env && env.message) || FALLBACK_BY_STATUS[status] || FALLBACK_BY_STATUS[500],
    details: (env && env.details) || null,
    requestId: (env && env.request_id) || ''
  });
}

function networkError(errMsg) {
  const timeout = /timeout/i.test(errMsg || '');
  return new ApiError({ status: 0, code: timeout ? 'TIMEOUT' : 'NETWORK' });
}

// Field messages from a 400's details, e.g. {id_number: ["校验位不正确"]} → {id_number: "校验位不正确"}.
function fieldErrors(err) {
  const out = {};
  const d = err && err.details;
  if (!d || typeof d !== 'object') return out;
  Object.keys(d).forEach((k) => {
    const v = d[k];
    out[k] = Array.isArray(v) ? v.join('；') : String(v);
  });
  return out;
}

// The sentence shown to the user. The request id is added so a hotline operator can find the case.
function userMessage(err) {
  if (!err) return '';
  const base = err.message || '出了点问题，请稍后再试';
  return err.requestId ? `${base}（查询编号 ${err.requestId}）` : base;
}

module.exports = { ApiError, fromResponse, networkError, fieldErrors, userMessage, FALLBACK_BY_STATUS };
