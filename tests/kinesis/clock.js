// Preloaded into kinesalite by callwatch's tests (`node -r ./clock.js`): every SIGUSR2 moves
// kinesalite's clock (Date.now) 301 seconds ahead, past the five minutes a shard iterator
// lives, so that a test can make the iterators callwatch holds expire without waiting.
'use strict'
const realNow = Date.now
let offsetMs = 0
Date.now = () => realNow() + offsetMs
process.on('SIGUSR2', () => {
  offsetMs += 301000
  console.log('clock moved ahead by %d s', offsetMs / 1000)
})
