// List endpoints answer {"items": [...], "next_cursor": ...}; a few may answer a bare array.
function items(body) {
  if (Array.isArray(body)) return body;
  return (body && Array.isArray(body.items)) ? body.items : [];
}
module.exports = { items };
