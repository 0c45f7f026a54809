// The user's rough location for matching volunteers; falls back to the region's centre when the
// user says no (matching then works on the district only).
const { REGION_CENTRES } = require('../config/labels');

// eslint-disable-next-line no-undef
const getWx = () => wx;

function locate(region) {
  const fallback = REGION_CENTRES[region] || null;
  return new Promise((resolve) => {
    getWx().getLocation({
      type: 'gcj02',
      success: (r) => resolve({ lat: r.latitude, lng: r.longitude }),
      fail: () => resolve(fallback)
    });
  });
}

module.exports = { locate };
