/** A failed connect check whose fault lies in another key than the one checked (a wrong bind password found while trying `directory.urls[0]`). */
export class ConnectProblem extends Error {
  override name = 'ConnectProblem';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}
