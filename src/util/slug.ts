/** A name made safe for file and directory names and run ids: runs of other characters become "_". */
export function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._+-]+/g, '_');
}
