// UTF-8 to string with every ill-formed sequence replaced by U+FFFD (the WHATWG decoder's
// "maximal subpart" rule), for whatever bytes the host hands over: headers, properties, bodies
// and configuration. AssemblyScript's own String.UTF8.decode is lenient instead: a stray byte
// swallows the characters after it and can yield lone surrogates, which is how one odd header
// made a record that is not valid UTF-8.

/** The string of `len` bytes at `ptr`, ill-formed sequences replaced by U+FFFD. */
export function decodeUtf8(ptr: usize, len: usize): string {
  if (len == 0) return "";
  // At most one UTF-16 unit per byte (a 4-byte sequence gives two units).
  const out = __new(len << 1, idof<String>());
  let o = out;
  let i: usize = 0;
  while (i < len) {
    const b0 = <u32>load<u8>(ptr + i);
    if (b0 < 0x80) { store<u16>(o, <u16>b0); o += 2; i++; continue; }
    let need = 0;
    let lower: u32 = 0x80;
    let upper: u32 = 0xbf;
    let cp: u32 = 0;
    if (b0 >= 0xc2 && b0 <= 0xdf) { need = 1; cp = b0 & 0x1f; }
    else if (b0 >= 0xe0 && b0 <= 0xef) {
      if (b0 == 0xe0) lower = 0xa0;
      if (b0 == 0xed) upper = 0x9f; // no UTF-16 surrogates
      need = 2; cp = b0 & 0x0f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      if (b0 == 0xf0) lower = 0x90;
      if (b0 == 0xf4) upper = 0x8f; // nothing above U+10FFFF
      need = 3; cp = b0 & 0x07;
    } else { store<u16>(o, 0xfffd); o += 2; i++; continue; }
    let j = i + 1;
    let ok = true;
    for (let k = 0; k < need; k++) {
      if (j >= len) { ok = false; break; }
      const b = <u32>load<u8>(ptr + j);
      if (b < lower || b > upper) { ok = false; break; }
      lower = 0x80; upper = 0xbf;
      cp = (cp << 6) | (b & 0x3f);
      j++;
    }
    if (!ok) { store<u16>(o, 0xfffd); o += 2; i = j; continue; }
    if (cp < 0x10000) { store<u16>(o, <u16>cp); o += 2; }
    else {
      const v = cp - 0x10000;
      store<u16>(o, <u16>(0xd800 | (v >> 10)));
      store<u16>(o + 2, <u16>(0xdc00 | (v & 0x3ff)));
      o += 4;
    }
    i = j;
  }
  return changetype<string>(__renew(out, o - out));
}

/** decodeUtf8 of a whole buffer. */
export function decodeUtf8Buffer(b: ArrayBuffer): string {
  return decodeUtf8(changetype<usize>(b), <usize>b.byteLength);
}
