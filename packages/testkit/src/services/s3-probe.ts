/** S3 readiness: an HTTP request to the endpoint gets an S3 answer (an XML result or S3 error). */
export async function isS3Ready(endpoint: string, timeoutMs = 5_000): Promise<boolean> {
  try {
    const response = await fetch(new URL("/", endpoint), { signal: AbortSignal.timeout(timeoutMs) });
    const body = await response.text();
    return /<(ListAllMyBucketsResult|Error)[\s>]/.test(body);
  } catch {
    return false;
  }
}
