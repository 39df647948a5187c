// The part of better-sqlite3's API the run store uses (the package ships no type declarations).
declare module 'better-sqlite3' {
  namespace Database {
    interface RunResult {
      changes: number;
      lastInsertRowid: number | bigint;
    }
    interface Statement<P extends unknown[] = unknown[]> {
      run(...params: P): RunResult;
      get(...params: P): unknown;
      all(...params: P): unknown[];
    }
    interface Database {
      prepare<P extends unknown[] = unknown[]>(sql: string): Statement<P>;
      exec(sql: string): this;
      pragma(source: string, options?: { simple?: boolean }): unknown;
      transaction<F extends (...args: never[]) => unknown>(fn: F): F;
      close(): this;
      readonly open: boolean;
      readonly inTransaction: boolean;
    }
  }
  const Database: new (filename: string, options?: { readonly?: boolean; fileMustExist?: boolean }) => Database.Database;
  export default Database;
}
