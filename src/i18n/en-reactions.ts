/**
 * English strings of the reactions menu: they load with it (`reactions-menu.ts`), which
 * keeps the entry small.
 */
export const enReactions = {
  raiseHand: 'Raise hand',
  lowerHand: 'Lower hand',
  'reaction-thumbsup': 'Thumbs up',
  'reaction-party': 'Party',
  'reaction-clapping': 'Clapping',
  'reaction-dog': 'Dog',
  'reaction-cat': 'Cat',
  'reaction-lightbulb': 'Light bulb',
  'reaction-crickets': 'Crickets',
  'reaction-thumbsdown': 'Thumbs down',
  'reaction-dizzy': 'Dizzy',
  'reaction-ok': 'OK',
  'reaction-heart': 'Love',
  'reaction-laugh': 'Laugh',
  'reaction-deer': 'Deer',
  'reaction-rock': 'Rock on',
  'reaction-wave': 'Wave',
  'reaction-drum': 'Drum roll',
};
