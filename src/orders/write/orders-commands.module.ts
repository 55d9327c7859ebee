import { Module } from '@nestjs/common';
import { OrdersCommandsController } from './orders-commands.controller';

/** The command routes (APP_ROLE api | all); the write path itself is OrderWriteModule's. */
@Module({ controllers: [OrdersCommandsController] })
export class OrdersCommandsModule {}
