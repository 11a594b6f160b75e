/** sharp, to make and check images in these tests. */
import sharp from "sharp"

export { sharp }
