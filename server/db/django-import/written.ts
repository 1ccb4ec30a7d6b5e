// `xmax = 0` in a RETURNING clause tells a row the upsert inserted from one it
// updated; rows it left alone are not returned at all.
export type Written = { inserted: boolean };

export const tally = (rows: Written[]) => ({
  created: rows.filter((row) => row.inserted).length,
  updated: rows.filter((row) => !row.inserted).length,
});
