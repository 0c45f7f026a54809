// The electronic certificate: details, the signed QR code (from qr_png_base64), and a one-time
// consent code the holder can give a verifier who needs fuller details.
const { definePage } = require('../../utils/page');
const certificate = require('../../services/certificate');
const { certificateCard } = require('../../logic/home');
const { qrImageSrc } = require('../../logic/certificate');
const format = require('../../utils/format');

definePage({
  data: { card: null, qrSrc: '', qrExpires: '', code: '', codeExpires: '', missing: false },

  onLoad() { return this.load(); },
  onActingChange() { return this.load(); },

  async load() {
    this.setData({ card: null, qrSrc: '', code: '', missing: false });
    const personId = this.personId();
    const result = await this.run(async () => {
      try {
        const cert = await certificate.current(personId);
        const cred = await certificate.credential(personId);
        return { cert, cred };
      } catch (err) {
        if (err.status === 404) return { cert: null, cred: null };
        throw err;
      }
    });
    if (!result) return;
    if (!result.cert) {
      this.setData({ missing: true });
      return;
    }
    this.setData({
      card: certificateCard(result.cert, new Date()),
      qrSrc: qrImageSrc(result.cred),
      qrExpires: result.cred && result.cred.expires_at ? format.dateTimeText(result.cred.expires_at) : ''
    });
  },

  async makeCode() {
    const res = await this.run(() => certificate.disclosureCode(this.personId()));
    if (res) this.setData({ code: res.code || '', codeExpires: res.expires_at ? format.dateTimeText(res.expires_at) : '' });
  },

  applyNew() { wx.navigateTo({ url: '/pages/cert-apply/index?type=new' }); }
});
