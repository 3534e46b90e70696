throw new Error('cannot connect to the model store');
