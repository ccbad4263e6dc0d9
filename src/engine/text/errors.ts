/**
 * A problem with what the user gave us (a file, a setting, a checkpoint), as opposed to a bug.
 * The message names the problem and what to do about it; callers show it as is, without a stack.
 */
export class UserInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserInputError';
  }
}

export function isUserInputError(error: unknown): error is UserInputError {
  return error instanceof Error && error.name === 'UserInputError';
}
