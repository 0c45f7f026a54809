// An error said in words (with a ⚠ sign and "出错了"), announced to screen readers as an alert.
Component({
  properties: { text: { type: String, value: '' } }
});
