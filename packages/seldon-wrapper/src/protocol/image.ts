import sharp from 'sharp';
import { badData } from '../http-errors.js';

/** Decompression bombs stop here: no garment photo needs more than 40 megapixels. */
const MAX_INPUT_PIXELS = 40_000_000;

/** PNG or JPEG, told apart by their signatures rather than by what the client says. */
export function imageFormat(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    return 'png';
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/**
 * Turns a photo into a `height × width` grey image the way Fashion-MNIST was made from product photos:
 * trim the background, resize the longest edge to fit, sharpen, centre on a square canvas, negate
 * (a white background becomes black) and keep 8-bit grey. Returns row-major bytes 0..255.
 */
export async function photoToGrey(bytes: Uint8Array, height: number, width: number): Promise<Uint8Array> {
  if (!imageFormat(bytes)) {
    throw badData('binData is not a PNG or JPEG image: send the base64 of a .png or .jpg file');
  }
  const open = () => sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' });
  try {
    // Transparent pixels count as background, which photos of products have as white.
    const flat = await open().rotate().flatten({ background: '#ffffff' }).png().toBuffer();
    let trimmed: Buffer;
    try {
      // Edges within 5% of the corner colour's intensity are background.
      trimmed = await sharp(flat).trim({ threshold: 13 }).png().toBuffer();
    } catch {
      trimmed = flat; // a single-colour image has nothing to trim
    }
    const { data, info } = await sharp(trimmed)
      .resize(width, height, { fit: 'inside', kernel: 'nearest' })
      .sharpen({ sigma: 1 })
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const canvas = new Uint8Array(height * width).fill(255);
    const top = Math.floor((height - info.height) / 2);
    const left = Math.floor((width - info.width) / 2);
    const channels = info.channels;
    for (let y = 0; y < info.height; y++) {
      for (let x = 0; x < info.width; x++) {
        canvas[(top + y) * width + left + x] = data[(y * info.width + x) * channels] as number;
      }
    }
    for (let i = 0; i < canvas.length; i++) canvas[i] = 255 - (canvas[i] as number);
    return canvas;
  } catch (error) {
    if (error instanceof Error && /pixel limit/i.test(error.message)) {
      throw badData(
        `binData image is larger than ${MAX_INPUT_PIXELS / 1e6} megapixels: send a smaller photo`,
      );
    }
    throw badData('binData could not be decoded as an image: the PNG or JPEG is damaged or truncated');
  }
}
