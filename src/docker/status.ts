/** Whether an engine call failed with one of these HTTP statuses (dockerode puts it on the error). */
export function isStatus(error: unknown, ...codes: number[]): boolean {
  const status = (error as { statusCode?: number } | null)?.statusCode;
  return status !== undefined && codes.includes(status);
}
