// COCO compressed RLE (the string form pycocotools writes) decoded in the browser.
"use strict";

function rleCounts(text) {
  // The packed counts: 5 bits per character with a continuation bit, each count after the second
  // stored as a difference to the count two places back.
  const counts = [];
  let position = 0;
  while (position < text.length) {
    let value = 0, shift = 0, more = true;
    while (more) {
      if (position >= text.length) throw new Error("truncated RLE string");
      const chunk = text.charCodeAt(position) - 48;
      value |= (chunk & 0x1f) << shift;
      more = (chunk & 0x20) !== 0;
      position += 1;
      shift += 5;
      if (!more && (chunk & 0x10)) value |= -1 << shift;
    }
    if (counts.length > 2) value += counts[counts.length - 2];
    counts.push(value);
  }
  return counts;
}

function rleDecode(rle) {
  // A Uint8Array of height*width in row-major order (1 inside), from column-major runs starting with zeros.
  const [height, width] = rle.size;
  const counts = typeof rle.counts === "string" ? rleCounts(rle.counts) : rle.counts;
  const mask = new Uint8Array(height * width);
  let index = 0, value = 0;
  for (const run of counts) {
    if (value) {
      for (let k = index; k < index + run; k++) mask[(k % height) * width + Math.floor(k / height)] = 1;
    }
    index += run;
    value = 1 - value;
  }
  if (index !== height * width) throw new Error(`RLE covers ${index} pixels, mask needs ${height * width}`);
  return mask;
}
