// An uploaded picture made into an avatar: decoded by sharp (libvips), which reads the format
// from the bytes themselves, never from what the client claims. Only the formats a browser shows
// everywhere are taken; the result is a fresh encode, so nothing of the upload (EXIF, GPS, ICC,
// comments, a payload hidden after the image data) survives into what the server hands out.
import sharp from 'sharp'
import { AppError } from '../errors.ts'

/** The side of the square every avatar is stored at: twice the largest size the app shows it at. */
export const AVATAR_SIDE = 256
export const AVATAR_TYPE = 'image/webp'

const ACCEPTED = new Set(['png', 'jpeg', 'webp', 'gif'])
/** Larger pictures are refused before decoding: a small file can claim a huge canvas. */
const MAX_INPUT_PIXELS = 50_000_000

export const invalidImage = () => new AppError(400, 'INVALID_IMAGE', 'Send a PNG, JPEG, WebP or GIF picture')

/** The bytes of the avatar made from `input`: a 256×256 WebP, cropped to cover. 400 INVALID_IMAGE otherwise. */
export async function toAvatar(input: Buffer): Promise<Buffer> {
  // `pages: 1`: an animated GIF or WebP gives its first frame.
  const options = { limitInputPixels: MAX_INPUT_PIXELS, pages: 1, autoOrient: true }
  // sharp throws at once on an empty buffer, and rejects on bytes it cannot read.
  const format = await Promise.resolve()
    .then(() => sharp(input, options).metadata())
    .then((m) => m.format as string | undefined)
    .catch(() => undefined)
  if (!format || !ACCEPTED.has(format)) throw invalidImage()
  try {
    return await sharp(input, options)
      .resize(AVATAR_SIDE, AVATAR_SIDE, { fit: 'cover' })
      .webp({ quality: 85 })
      .toBuffer()
  } catch {
    // A header that reads but data that does not (a truncated or corrupt file).
    throw invalidImage()
  }
}
