// The steps an application went through, with the reason staff gave at each step.
Component({
  properties: { rows: { type: Array, value: [] } }
});
