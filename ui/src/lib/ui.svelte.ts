// Small app-wide UI state.
export const ui = $state({
  helpOpen: false,
  /** Bumped to ask the search field to take focus. */
  searchFocus: 0,
});
