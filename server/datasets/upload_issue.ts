// What is wrong with an upload, and where: `field` is the query parameter or the file part (train-labels, text, ...)
// the operator has to fix. The upload route answers it as a 400 with the field in `issues`.
export class UploadIssue extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

/** A body longer than the upload limit: answered with a 413, the rest of the body unread. */
export class UploadTooLarge extends Error {}
